import { describe, expect, it } from 'vitest';
import { readListDocument } from '../../../../electron/core/persistence/list-document';

describe('readListDocument', () => {
  it('reads the array under its key, with or without a byte-order mark', () => {
    expect(readListDocument('{"downloads":[{"id":"a"}]}', 'downloads', 100)).toEqual([{ id: 'a' }]);
    expect(readListDocument('\uFEFF{"outages":[]}', 'outages', 100)).toEqual([]);
  });

  it('says "not this file" for other shapes, broken JSON and text past the cap', () => {
    expect(readListDocument('{"outages":[]}', 'downloads', 100)).toBeUndefined();
    expect(readListDocument('{"downloads":{}}', 'downloads', 100)).toBeUndefined();
    expect(readListDocument('[{"downloads":[]}]', 'downloads', 100)).toBeUndefined();
    expect(readListDocument('null', 'downloads', 100)).toBeUndefined();
    expect(readListDocument('{"downloads":[', 'downloads', 100)).toBeUndefined();
    expect(readListDocument(`{"downloads":[${'1,'.repeat(60)}1]}`, 'downloads', 100)).toBeUndefined();
  });
});
