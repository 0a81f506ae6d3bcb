import { describe, expect, it } from 'vitest';
import { parseClientMessage, parseServerMessage } from '../../../electron/shared/web-protocol';

describe('parseClientMessage', () => {
  it('accepts an invoke of a contract command, with or without a payload', () => {
    expect(parseClientMessage('{"type":"invoke","id":1,"name":"server:refresh"}')).toEqual({
      kind: 'invoke',
      message: { type: 'invoke', id: 1, name: 'server:refresh', payload: undefined },
    });
    expect(
      parseClientMessage(
        JSON.stringify({ type: 'invoke', id: 2, name: 'models:unload', payload: { identifier: 'x' } }),
      ),
    ).toMatchObject({ kind: 'invoke', message: { id: 2, payload: { identifier: 'x' } } });
  });

  it('answers an unknown command (even an inherited property name) under its id', () => {
    for (const name of ['nope', 'constructor', '__proto__', 'toString']) {
      expect(parseClientMessage(JSON.stringify({ type: 'invoke', id: 5, name })), name).toMatchObject({
        kind: 'reject',
        id: 5,
        error: { code: 'invalid-input' },
      });
    }
  });

  it.each([
    ['not JSON', 'nope', 1007],
    ['a string', '"invoke"', 1008],
    ['null', 'null', 1008],
    ['another type', '{"type":"result","id":1}', 1008],
    ['a negative id', '{"type":"invoke","id":-1,"name":"server:refresh"}', 1008],
    ['a string id', '{"type":"invoke","id":"1","name":"server:refresh"}', 1008],
    ['a huge id', `{"type":"invoke","id":${2 ** 60},"name":"server:refresh"}`, 1008],
    ['a name that is not a string', '{"type":"invoke","id":1,"name":7}', 1008],
    ['a name over 100 characters', `{"type":"invoke","id":1,"name":"${'x'.repeat(101)}"}`, 1008],
    ['a fractional id', '{"type":"invoke","id":1.5,"name":"server:refresh"}', 1008],
    ['an array', '[{"type":"invoke","id":1,"name":"server:refresh"}]', 1008],
  ])('closes on %s', (_label, text, code) => {
    expect(parseClientMessage(text)).toMatchObject({ kind: 'close', code });
  });
});

describe('parseServerMessage', () => {
  it('accepts results and contract events', () => {
    expect(parseServerMessage('{"type":"result","id":1,"result":{"ok":true,"value":null}}')).toEqual({
      type: 'result',
      id: 1,
      result: { ok: true, value: null },
    });
    expect(parseServerMessage('{"type":"event","name":"loads:changed","payload":[]}')).toEqual({
      type: 'event',
      name: 'loads:changed',
      payload: [],
    });
  });

  it('rejects anything else', () => {
    for (const text of [
      'x',
      '{"type":"event","name":"evil","payload":1}',
      '{"type":"result","id":1,"result":{"ok":false}}',
      '{"type":"result","id":1}',
      '{"type":"result","id":1,"result":{"ok":true}}',
      '{"type":"result","id":-1,"result":{"ok":true,"value":1}}',
      '{"type":"result","id":1,"result":{"ok":false,"error":{"code":"x"}}}',
      '{"type":"event","name":"loads:changed"}',
      '{"type":"event","name":"toString","payload":1}',
      '[{"type":"event","name":"loads:changed","payload":[]}]',
      'null',
    ]) {
      expect(parseServerMessage(text), text).toBeNull();
    }
  });
});
