/**
 * No regular expression in the product can take exponential time (issue 8, item 8): every
 * pattern in electron/ and renderer/src is read by `regex-lint.ts`, and the lint itself is
 * shown to catch the classic shapes.
 */
import { describe, expect, it } from 'vitest';
import { recordTally } from '../tally';
import { lintPatterns, patternProblems } from './regex-lint';

const PRODUCT_SOURCES = ['electron', 'renderer/src'];

describe('ReDoS lint', () => {
  it.each([
    '(a+)+',
    '(a*)*',
    '(a|a)*',
    '(\\w|\\d)+',
    '(x+x+)+y',
    '(a+a)*',
    '(\\s*x?)*',
    '^(?:[a-z]+)+$',
    '(?<name>\\d+\\s?)+',
  ])('reports %s', (pattern) => {
    expect(patternProblems(pattern)).not.toEqual([]);
  });

  it.each([
    '^a+b$',
    '(a|b)*',
    '[a-z]+(?:-[a-z]+)*',
    '(?:\\s*,\\s*\\w+)*',
    '^([a-z]+\\.)+[a-z]+$',
    '(?:ab|cd)+',
    '\\[[█▏ ]*\\]\\s+(NaN|\\d+(?:\\.\\d+)?)%',
    '^\\d+(:\\d{1,2}){1,2}$',
    '\\x1b\\[[0-9;?]*[A-Za-z]',
  ])('accepts %s', (pattern) => {
    expect(patternProblems(pattern)).toEqual([]);
  });

  it('finds no pattern with nested or overlapping repetition in the product', () => {
    const { checked, problems, unreadable } = lintPatterns(PRODUCT_SOURCES);
    // A RegExp built at run time from something the lint cannot read would escape it.
    expect(unreadable.map((found) => found.file)).toEqual([]);
    expect(problems.map(({ pattern, problem }) => `${pattern.file} /${pattern.source}/: ${problem}`)).toEqual([]);
    expect(checked).toBeGreaterThan(50);
    recordTally({ family: 'parsers', cases: checked });
  });
});
