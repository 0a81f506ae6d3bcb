/**
 * The `fuzzy` package's `filter` as `lms load` uses it: every pattern character in order,
 * case-insensitive; consecutive matches score more; an exact match scores highest; ties keep
 * list order. So `qwen/qwen3-4b` matches `qwen/qwen3-4b-2507` too.
 */
export function fuzzyFilter(pattern: string, candidates: readonly string[]): string[] {
  const needle = pattern.toLowerCase();
  const scored: Array<{ candidate: string; score: number; index: number }> = [];
  candidates.forEach((candidate, index) => {
    const haystack = candidate.toLowerCase();
    let patternIndex = 0;
    let current = 0;
    let total = 0;
    for (let i = 0; i < haystack.length; i++) {
      if (haystack[i] === needle[patternIndex]) {
        patternIndex++;
        current += 1 + current;
      } else {
        current = 0;
      }
      total += current;
    }
    if (patternIndex === needle.length) {
      scored.push({ candidate, score: haystack === needle ? Number.POSITIVE_INFINITY : total, index });
    }
  });
  return scored.sort((a, b) => b.score - a.score || a.index - b.index).map((s) => s.candidate);
}
