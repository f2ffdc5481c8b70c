import { END, type TQuestion, type TScript } from './schema.ts';

/** Where a value sits in the script, as keys and list indexes: `['questions', 3, 'next']`. */
export type TPath = readonly (string | number)[];

/** A possible move from one question to the next (or to `end`), and where the script says so. */
export type TEdge = { from: string; to: string; path: TPath };

/** Question ids to their position in the list; the first wins when an id is repeated. */
export function indexQuestions(script: TScript): Map<string, number> {
  const index = new Map<string, number>();
  script.questions.forEach((question, i) => {
    if (!index.has(question.id)) index.set(question.id, i);
  });
  return index;
}

export function startId(script: TScript): string {
  return script.start ?? script.questions[0]?.id ?? END;
}

/** Where the question leads when no branch applies: its `next`, else the following question, else `end`. */
export function defaultTarget(script: TScript, position: number): string {
  const question = script.questions[position];
  if (question?.next !== undefined) return question.next;
  return script.questions[position + 1]?.id ?? END;
}

/** Every move out of the question at `position`: each branch, then the default. */
export function edgesFrom(script: TScript, position: number): TEdge[] {
  const question = script.questions[position];
  if (question === undefined) return [];
  const edges: TEdge[] = question.branch.map((branch, b) => ({
    from: question.id,
    to: branch.goto,
    path: ['questions', position, 'branch', b, 'goto'],
  }));
  edges.push({
    from: question.id,
    to: defaultTarget(script, position),
    path: ['questions', position, question.next === undefined ? 'id' : 'next'],
  });
  return edges;
}

/**
 * The largest (or smallest) sum of `weight` over the questions of any route from `from` to the end,
 * ignoring branch conditions. Moves into a cycle or to an unknown question count as ending there, so a broken
 * script still gets an answer; the linter reports those moves separately.
 */
export function extremeRoute(
  script: TScript,
  from: string,
  weight: (question: TQuestion) => number,
  mode: 'max' | 'min',
): number {
  const index = indexQuestions(script);
  const memo = new Map<string, number>();
  const onStack = new Set<string>();
  const pick = mode === 'max' ? Math.max : Math.min;

  const visit = (id: string): number => {
    const position = index.get(id);
    if (position === undefined || onStack.has(id)) return 0;
    const known = memo.get(id);
    if (known !== undefined) return known;
    const question = script.questions[position] as TQuestion;
    onStack.add(id);
    const rest = pick(...edgesFrom(script, position).map((edge) => visit(edge.to)));
    onStack.delete(id);
    const value = weight(question) + rest;
    memo.set(id, value);
    return value;
  };

  return visit(from);
}

const longestByScript = new WeakMap<TScript, Map<string, number>>();

/**
 * The most questions anyone starting at `from` (included) could still be asked. Worked out once per question
 * of a script object (a parsed script never changes), not at every answer.
 */
export function longestRemaining(script: TScript, from: string): number {
  let known = longestByScript.get(script);
  if (!known) {
    known = new Map();
    longestByScript.set(script, known);
  }
  let longest = known.get(from);
  if (longest === undefined) {
    longest = extremeRoute(script, from, () => 1, 'max');
    known.set(from, longest);
  }
  return longest;
}

/** Every question id reachable from `from`, `from` included, following all moves. */
export function reachableFrom(script: TScript, from: string): Set<string> {
  const index = indexQuestions(script);
  const seen = new Set<string>();
  const queue = [from];
  for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
    const position = index.get(id);
    if (position === undefined || seen.has(id)) continue;
    seen.add(id);
    for (const edge of edgesFrom(script, position)) queue.push(edge.to);
  }
  return seen;
}
