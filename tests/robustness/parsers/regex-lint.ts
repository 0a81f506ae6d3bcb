/**
 * A small ReDoS lint (issue 8, item 8): finds every regular expression in the product's source
 * (literals, and `RegExp(...)` built from string literals or from constants of the same file)
 * and reports the shapes that make a backtracking engine take exponential time:
 *
 * - a quantified part that can repeat without bound inside another that can too (star height
 *   above 1): `(a+)+`, `(a*)*`, `(?:\s*x)+`;
 * - alternatives that can start with the same character inside an unbounded repetition:
 *   `(a|a)*`, `(\w|\d)+`.
 *
 * Conservative on purpose (a rare safe pattern may be reported: rewrite it, it reads better).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { transformSync } from 'esbuild';

export interface FoundPattern {
  file: string;
  source: string;
  flags: string;
}

export interface PatternProblem {
  pattern: FoundPattern;
  problem: string;
}

// ---------------------------------------------------------------------------------------------
// Finding the patterns
// ---------------------------------------------------------------------------------------------
//
// TypeScript 7 has no JavaScript API, so each file goes through esbuild (types and JSX gone,
// regular expression literals kept as written) and a small tokenizer that tells a regular
// expression from a division the usual way: by the token before the slash.

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) files.push(...sourceFiles(full));
    else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry) && !/\.d\.m?ts$/.test(entry)) files.push(full);
  }
  return files;
}

type Token =
  | { kind: 'regex'; source: string; flags: string }
  | { kind: 'string'; value: string }
  /** A template literal: its cooked text parts and the raw text of each `${...}` between them. */
  | { kind: 'template'; parts: string[]; expressions: string[] }
  | { kind: 'word'; value: string }
  | { kind: 'punct'; value: string };

/** Words after which a slash starts a regular expression rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
]);

function cook(raw: string): string {
  return raw.replace(/\\(u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|\r\n|[\s\S])/g, (_, sequence: string) => {
    if (sequence.startsWith('u{')) return String.fromCodePoint(Number.parseInt(sequence.slice(2, -1), 16));
    if (sequence.length > 1 && (sequence[0] === 'u' || sequence[0] === 'x'))
      return String.fromCharCode(Number.parseInt(sequence.slice(1), 16));
    const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };
    if (sequence === '\r\n' || sequence === '\n') return '';
    return simple[sequence] ?? sequence;
  });
}

/** The tokens of a JavaScript file (strings, templates, regular expressions, words, punctuation). */
export function tokenize(code: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  const previousAllowsRegex = () => {
    const last = tokens.at(-1);
    if (!last) return true;
    if (last.kind === 'punct') return ![')', ']', '}'].includes(last.value);
    if (last.kind === 'word') return KEYWORDS_BEFORE_EXPRESSION.has(last.value);
    return false;
  };
  /** Reads a template literal from just after its opening backtick. */
  const template = (): Token => {
    const parts: string[] = [];
    const expressions: string[] = [];
    let raw = '';
    while (at < code.length && code[at] !== '`') {
      if (code[at] === '\\') {
        raw += code.slice(at, at + 2);
        at += 2;
      } else if (code.startsWith('${', at)) {
        parts.push(cook(raw));
        raw = '';
        at += 2;
        const start = at;
        // The expression itself is kept as text (the product puts no regular expression there).
        let depth = 1;
        while (at < code.length) {
          if (code[at] === '{') depth += 1;
          if (code[at] === '}') depth -= 1;
          if (depth === 0) break;
          at += 1;
        }
        expressions.push(code.slice(start, at));
        at += 1;
      } else {
        raw += code[at];
        at += 1;
      }
    }
    at += 1;
    parts.push(cook(raw));
    return { kind: 'template', parts, expressions };
  };
  while (at < code.length) {
    const char = code[at]!;
    if (/\s/.test(char)) {
      at += 1;
    } else if (code.startsWith('//', at)) {
      at = code.indexOf('\n', at) === -1 ? code.length : code.indexOf('\n', at);
    } else if (code.startsWith('/*', at)) {
      at = code.indexOf('*/', at + 2) + 2;
    } else if (char === "'" || char === '"') {
      let end = at + 1;
      while (end < code.length && code[end] !== char) end += code[end] === '\\' ? 2 : 1;
      tokens.push({ kind: 'string', value: cook(code.slice(at + 1, end)) });
      at = end + 1;
    } else if (char === '`') {
      at += 1;
      tokens.push(template());
    } else if (char === '/' && previousAllowsRegex()) {
      let end = at + 1;
      let inClass = false;
      while (end < code.length && (inClass || code[end] !== '/')) {
        if (code[end] === '\\') end += 1;
        else if (code[end] === '[') inClass = true;
        else if (code[end] === ']') inClass = false;
        end += 1;
      }
      const flags = /^[a-z]*/.exec(code.slice(end + 1))![0];
      tokens.push({ kind: 'regex', source: code.slice(at + 1, end), flags });
      at = end + 1 + flags.length;
    } else if (/[\p{L}\p{N}_$]/u.test(char)) {
      const word = /^[\p{L}\p{N}_$.]+/u.exec(code.slice(at))![0];
      tokens.push({ kind: 'word', value: word });
      at += word.length;
    } else {
      tokens.push({ kind: 'punct', value: char });
      at += 1;
    }
  }
  return tokens;
}

/** The text a token stands for, when it is a literal or a template of same-file string constants. */
function staticText(token: Token | undefined, constants: Map<string, string>): string | null {
  if (!token) return null;
  if (token.kind === 'string') return token.value;
  if (token.kind !== 'template') return null;
  let text = token.parts[0]!;
  for (const [index, expression] of token.expressions.entries()) {
    const value = constants.get(expression.trim());
    if (value === undefined) return null;
    text += value + token.parts[index + 1]!;
  }
  return text;
}

/**
 * Every regular expression in the files under `roots`. A `RegExp(...)` whose pattern cannot be
 * worked out from the source is returned among `unreadable`, so the caller can refuse it.
 */
export function findPatterns(roots: string[]): { patterns: FoundPattern[]; unreadable: FoundPattern[] } {
  const patterns: FoundPattern[] = [];
  const unreadable: FoundPattern[] = [];
  for (const file of roots.flatMap(sourceFiles)) {
    const extension = path.extname(file);
    const { code } = transformSync(readFileSync(file, 'utf8'), {
      loader: extension === '.tsx' ? 'tsx' : extension.endsWith('ts') ? 'ts' : 'js',
      target: 'esnext',
      jsx: 'transform',
    });
    const tokens = tokenize(code);
    const constants = new Map<string, string>();
    tokens.forEach((token, index) => {
      const [name, equals, value] = [tokens[index + 1], tokens[index + 2], tokens[index + 3]];
      if (
        token.kind === 'word' &&
        token.value === 'const' &&
        name?.kind === 'word' &&
        equals?.kind === 'punct' &&
        equals.value === '='
      ) {
        const text = staticText(value, constants);
        if (text !== null) constants.set(name.value, text);
      }
    });
    tokens.forEach((token, index) => {
      if (token.kind === 'regex') {
        patterns.push({ file, source: token.source, flags: token.flags });
        return;
      }
      const open = tokens[index + 1];
      if (token.kind === 'word' && token.value === 'RegExp' && open?.kind === 'punct' && open.value === '(') {
        const source = staticText(tokens[index + 2], constants);
        const next = tokens[index + 3];
        const flags = next?.kind === 'punct' && next.value === ',' ? staticText(tokens[index + 4], constants) : '';
        const found = { file, source: source ?? '', flags: flags ?? '' };
        if (source === null || flags === null) unreadable.push(found);
        else patterns.push(found);
      }
    });
  }
  return { patterns, unreadable };
}

// ---------------------------------------------------------------------------------------------
// Reading a pattern: alternatives of sequences of quantified atoms
// ---------------------------------------------------------------------------------------------

interface Alternation {
  kind: 'alternation';
  alternatives: Term[][];
}
/** One character (class, escape, literal or `.`), standing for a set of characters. */
interface CharacterAtom {
  kind: 'character';
  source: string;
}
/** `^`, `$`, `\b`, look-arounds, back-references: match no character of their own here. */
interface EmptyAtom {
  kind: 'empty';
}
interface Term {
  atom: Alternation | CharacterAtom | EmptyAtom;
  min: number;
  max: number;
}

class PatternReader {
  private at = 0;
  constructor(private readonly source: string) {}

  read(): Alternation {
    const alternation = this.alternation();
    if (this.at < this.source.length) throw new Error(`unexpected ")" at ${this.at}`);
    return alternation;
  }

  private alternation(): Alternation {
    const alternatives: Term[][] = [this.sequence()];
    while (this.source[this.at] === '|') {
      this.at += 1;
      alternatives.push(this.sequence());
    }
    return { kind: 'alternation', alternatives };
  }

  private sequence(): Term[] {
    const terms: Term[] = [];
    while (this.at < this.source.length && this.source[this.at] !== '|' && this.source[this.at] !== ')') {
      const atom = this.atom();
      const [min, max] = this.quantifier();
      terms.push({ atom, min, max });
    }
    return terms;
  }

  private atom(): Term['atom'] {
    const start = this.at;
    const char = this.source[this.at]!;
    if (char === '(') {
      this.at += 1;
      let lookaround = false;
      if (this.source.startsWith('?:', this.at)) this.at += 2;
      else if (/^\?<?[=!]/.test(this.source.slice(this.at, this.at + 3))) {
        lookaround = true;
        this.at += this.source[this.at + 1] === '<' ? 3 : 2;
      } else if (this.source.startsWith('?<', this.at)) this.at = this.source.indexOf('>', this.at) + 1;
      const inner = this.alternation();
      if (this.source[this.at] !== ')') throw new Error(`unclosed group at ${start}`);
      this.at += 1;
      // A look-around consumes nothing, but its own repetitions still count (checked apart).
      return lookaround ? { kind: 'alternation', alternatives: [[{ atom: inner, min: 0, max: 0 }]] } : inner;
    }
    if (char === '[') {
      this.at += 1;
      if (this.source[this.at] === '^') this.at += 1;
      if (this.source[this.at] === ']') this.at += 1;
      while (this.at < this.source.length && this.source[this.at] !== ']') {
        this.at += this.source[this.at] === '\\' ? 2 : 1;
      }
      this.at += 1;
      return { kind: 'character', source: this.source.slice(start, this.at) };
    }
    if (char === '^' || char === '$') {
      this.at += 1;
      return { kind: 'empty' };
    }
    if (char === '\\') {
      const next = this.source[this.at + 1] ?? '';
      if ('bB'.includes(next)) {
        this.at += 2;
        return { kind: 'empty' };
      }
      if (/[1-9]/.test(next)) {
        this.at += 2;
        while (/\d/.test(this.source[this.at] ?? '')) this.at += 1;
        return { kind: 'empty' };
      }
      if (next === 'k') {
        this.at = this.source.indexOf('>', this.at) + 1;
        return { kind: 'empty' };
      }
      const sequence = /^\\(?:u\{[0-9a-fA-F]+\}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2}|c[A-Za-z]|[pP]\{[^}]*\}|.)/su.exec(
        this.source.slice(this.at),
      )!;
      this.at += sequence[0].length;
      return { kind: 'character', source: sequence[0] };
    }
    const codePoint = this.source.codePointAt(this.at)!;
    this.at += codePoint > 0xffff ? 2 : 1;
    return { kind: 'character', source: this.source.slice(start, this.at) };
  }

  private quantifier(): [number, number] {
    const rest = this.source.slice(this.at);
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(rest);
    let bounds: [number, number] | null = null;
    if (rest[0] === '*') bounds = [0, Infinity];
    else if (rest[0] === '+') bounds = [1, Infinity];
    else if (rest[0] === '?') bounds = [0, 1];
    if (bounds) this.at += 1;
    else if (braces) {
      const min = Number(braces[1]);
      bounds = [min, braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3])];
      this.at += braces[0].length;
    }
    if (!bounds) return [1, 1];
    if (this.source[this.at] === '?') this.at += 1; // lazy: the same search space
    return bounds;
  }
}

// ---------------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------------

/** Whether some term inside `atom` repeats without bound. */
function repeatsUnbounded(atom: Term['atom']): boolean {
  if (atom.kind !== 'alternation') return false;
  return atom.alternatives.some((terms) => terms.some((term) => term.max === Infinity || repeatsUnbounded(term.atom)));
}

/** The character atoms an alternative can start with (through optional terms and groups). */
function firstCharacters(terms: Term[]): CharacterAtom[] {
  const first: CharacterAtom[] = [];
  for (const term of terms) {
    if (term.max === 0) continue;
    if (term.atom.kind === 'character') first.push(term.atom);
    else if (term.atom.kind === 'alternation') first.push(...term.atom.alternatives.flatMap(firstCharacters));
    if (term.min > 0 && !(term.atom.kind === 'empty') && !canBeEmpty(term.atom)) break;
  }
  return first;
}

/** The character atoms an alternative can end with (through optional terms and groups). */
function lastCharacters(terms: Term[]): CharacterAtom[] {
  return firstCharacters(
    [...terms].reverse().map((term) =>
      term.atom.kind === 'alternation'
        ? {
            ...term,
            atom: { kind: 'alternation', alternatives: term.atom.alternatives.map((alt) => [...alt].reverse()) },
          }
        : term,
    ),
  );
}

function canBeEmpty(atom: Term['atom']): boolean {
  if (atom.kind === 'empty') return true;
  if (atom.kind === 'character') return false;
  return atom.alternatives.some((terms) => terms.every((term) => term.min === 0 || canBeEmpty(term.atom)));
}

/** Characters to try two atoms on: ASCII, Latin-1 and every character the pattern names. */
function universe(source: string): string[] {
  const chars = new Set<string>();
  for (let code = 0; code < 0x100; code += 1) chars.add(String.fromCharCode(code));
  for (const char of source) chars.add(char);
  for (const extra of ['\u2028', '\u00a0', '\ufeff', '\u3000', 'é', 'ß', '█', '⠋']) chars.add(extra);
  return [...chars];
}

function overlap(a: CharacterAtom, b: CharacterAtom, flags: string, chars: string[]): string | null {
  const unicode = flags.includes('u') || flags.includes('v') ? 'u' : '';
  const extra = flags.replace(/[^is]/g, '') + unicode;
  const ra = new RegExp(`^(?:${a.source})$`, extra);
  const rb = new RegExp(`^(?:${b.source})$`, extra);
  return chars.find((char) => ra.test(char) && rb.test(char)) ?? null;
}

function check(alternation: Alternation, flags: string, chars: string[], problems: string[]): void {
  for (const terms of alternation.alternatives) {
    for (const term of terms) {
      if (term.atom.kind !== 'alternation') continue;
      // `(?:-[a-z]+)*` is safe: each round starts with a character the last one cannot end with.
      // `(a+)+`, `(a+a)*`, `(\s*x?)*` are not: a run of characters splits into rounds in many ways.
      if (term.max === Infinity && repeatsUnbounded(term.atom)) {
        const firsts = term.atom.alternatives.flatMap(firstCharacters);
        const lasts = term.atom.alternatives.flatMap(lastCharacters);
        const shared = firsts.flatMap((a) => lasts.map((b) => overlap(a, b, flags, chars))).find((c) => c !== null);
        if (shared !== undefined || canBeEmpty(term.atom)) {
          problems.push(
            `a repetition without bound inside another whose rounds can meet on ${JSON.stringify(shared ?? '')} (star height above 1)`,
          );
        }
      }
      if (term.max === Infinity && term.atom.alternatives.length > 1) {
        const starts = term.atom.alternatives.map(firstCharacters);
        for (let i = 0; i < starts.length; i += 1) {
          for (let j = i + 1; j < starts.length; j += 1) {
            for (const a of starts[i]!) {
              for (const b of starts[j]!) {
                const shared = overlap(a, b, flags, chars);
                if (shared !== null) {
                  problems.push(
                    `repeated alternatives that can both start with ${JSON.stringify(shared)} (${a.source} and ${b.source})`,
                  );
                }
              }
            }
          }
        }
      }
      check(term.atom, flags, chars, problems);
    }
  }
}

/** What is wrong with one pattern (empty when nothing is). */
export function patternProblems(source: string, flags = ''): string[] {
  let tree: Alternation;
  try {
    tree = new PatternReader(source).read();
  } catch (error) {
    return [`could not be read (${error instanceof Error ? error.message : error})`];
  }
  const problems: string[] = [];
  check({ kind: 'alternation', alternatives: [[{ atom: tree, min: 1, max: 1 }]] }, flags, universe(source), problems);
  return [...new Set(problems)];
}

/** Every problem of every pattern in the files under `roots`. */
export function lintPatterns(roots: string[]): {
  checked: number;
  problems: PatternProblem[];
  unreadable: FoundPattern[];
} {
  const { patterns, unreadable } = findPatterns(roots);
  const problems = patterns.flatMap((pattern) =>
    patternProblems(pattern.source, pattern.flags).map((problem) => ({ pattern, problem })),
  );
  return { checked: patterns.length, problems, unreadable };
}
