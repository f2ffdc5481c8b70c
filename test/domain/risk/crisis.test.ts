import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { describeCrisisReason, detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns, readCorpus } from './risk-data.ts';

const en = (text: string): TCrisisSignals => detectCrisis(text, crisisPatterns.en);
const zh = (text: string): TCrisisSignals => detectCrisis(text, crisisPatterns['zh-CN']);
const RANK = { none: 0, concern: 1, high: 2, imminent: 3 } as const;

type TRow = [text: string, level: TCrisisSignals['level'], kind: TCrisisSignals['kind']];

describe('detectCrisis: intent, plan, means, time (en)', () => {
  it.each<TRow>([
    ["I've got the pills and I'm taking them tonight", 'imminent', 'self'],
    ["I'm going to make him pay, I know where he lives and I have a knife", 'imminent', 'others'],
    ['I want to die', 'high', 'self'],
    ['I want to die. The pills are right here.', 'imminent', 'self'],
    ['I want to die tonight', 'imminent', 'self'],
    ['I want to hurt him', 'concern', 'others'],
    ['I want to hurt him, I know where he parks', 'imminent', 'others'],
    ["i'm going to kill myself", 'imminent', 'self'],
    ['this is my last message, goodbye everyone', 'imminent', 'self'],
    ['I just took 20 tablets', 'imminent', 'self'],
  ])('%s → %s/%s', (text, level, kind) => {
    const signals = en(text);
    expect([signals.level, signals.kind]).toEqual([level, kind]);
  });

  it('names the intensifiers that lifted a match', () => {
    const signals = en('I want to die. The pills are right here.');
    const lift = signals.reasons.find((reason) => reason.source === 'intensifier');
    expect(lift).toMatchObject({
      id: 'means.drugs',
      explanation: expect.stringContaining('lifts to imminent'),
    });
    expect(lift?.span.text).toBe('pills');
  });
});

describe('detectCrisis: intent, plan, means, time (zh-CN)', () => {
  it.each<TRow>([
    ['我今晚就从楼上跳下去', 'imminent', 'self'],
    ['我真的好想死', 'high', 'self'],
    ['我真的好想死，安眠药就在手边', 'imminent', 'self'],
    ['我要让他付出代价', 'high', 'others'],
    ['我要让他付出代价，我知道他住哪，我还有刀', 'imminent', 'others'],
    ['遗书已经写好了', 'imminent', 'self'],
    ['我今晚就去杀了他', 'imminent', 'others'],
  ])('%s → %s/%s', (text, level, kind) => {
    const signals = zh(text);
    expect([signals.level, signals.kind]).toEqual([level, kind]);
  });
});

describe('detectCrisis: normalisation reaches the patterns', () => {
  it.each([
    'I W4NT T0 DIE',
    'i want to diiiiie',
    'Ｉ ｗａｎｔ ｔｏ ｄｉｅ',
    'I   want\u200b to  die',
    'i w@nt to d1e',
  ])('%s', (text) => {
    expect(en(text).level).toBe('high');
  });

  it('reads Chinese with stray spaces and full-width forms', () => {
    expect(zh('我 想 死').level).toBe('high');
    expect(zh('今晚１０点我就跳楼').level).toBe('imminent');
  });
});

describe('detectCrisis: negation', () => {
  it.each([
    "I'm not going to kill myself",
    'I would never hurt myself',
    "I don't want to die",
    'I have no plans to harm myself',
    "I'm not going to do anything stupid",
  ])('en: %s → none, suppressed as negated', (text) => {
    const signals = en(text);
    expect(signals.level).toBe('none');
    expect(signals.suppressed.map((s) => s.cause)).toContain('negated');
  });

  it.each(['我不会自杀的', '我不想死', '我从来没想过要伤害自己', '我是不会去报复的'])(
    'zh: %s → none',
    (text) => {
      expect(zh(text).level).toBe('none');
    },
  );

  it('does not take a pseudo-negation as a negation', () => {
    expect(en("I can't stop thinking about killing myself").level).toBe('high');
    expect(en("I don't know, I just want to die").level).toBe('high');
    expect(zh('受不了了想死').level).toBe('high');
  });

  it('keeps negation inside its clause', () => {
    expect(en("I'm not okay and I want to die").level).toBe('high');
    expect(en("they won't listen until someone gets hurt").level).toBe('concern');
  });

  it('does not let a negated intensifier lift a match', () => {
    expect(en("I want to die but I don't have any pills").level).toBe('high');
  });
});

describe('detectCrisis: idioms', () => {
  it.each([
    'this commute is killing me',
    'I could murder a pizza',
    "I'm dying to see the film",
    'I nearly died laughing',
    'Mum will kill me when she sees this',
    "I'm at the end of my rope with these forms",
    'we killed time at the station',
  ])('en: %s → none', (text) => {
    expect(en(text).level).toBe('none');
  });

  it.each([
    '笑死我了',
    '累死了',
    '气死我了',
    '想死你了',
    '我电脑又死机了',
    '周末去玩剧本杀吗',
    '商场跳楼价大甩卖',
  ])('zh: %s → none', (text) => {
    expect(zh(text).level).toBe('none');
  });

  it('lets a weak idiom (hyperbole) count when a means or target backs it', () => {
    expect(en('I could kill him').level).toBe('none');
    expect(en('I could kill him, I know where he lives and I have a knife').level).toBe('imminent');
  });

  it('reports an idiom-suppressed match with its cue', () => {
    const signals = en("I'm going to kill this presentation tomorrow");
    expect(signals.level).toBe('none');
    expect(signals.suppressed[0]).toMatchObject({ cause: 'idiom', cue: { id: 'idiom.kill-it' } });
  });
});

describe('detectCrisis: past and resolved', () => {
  it('suppresses ideation told as past and resolved', () => {
    const signals = en("years ago I wanted to die but I'm in a good place now");
    expect(signals.level).toBe('none');
    expect(signals.suppressed[0]?.cause).toBe('past-resolved');
  });

  it('caps unresolved past ideation at concern, even with plan or means', () => {
    const signals = en('Years ago I tried to kill myself with pills');
    expect(signals.level).toBe('concern');
    expect(signals.reasons.map((reason) => reason.id)).toContain('context.past');
  });

  it('does not treat a present-tense sentence after a past one as past', () => {
    expect(en('I lost my job years ago and now I want to die tonight').level).toBe('imminent');
  });

  it.each([
    ['几年前我也想过死，但现在好多了', 'none'],
    ['三年前我自杀过一次，最近那种感觉又回来了', 'concern'],
    ['法院的人明天来之前，我就吊死在楼梯上', 'imminent'],
  ] as const)('zh: %s → %s', (text, level) => {
    expect(zh(text).level).toBe(level);
  });
});

describe('detectCrisis: someone else, fiction, jokes', () => {
  it.each([
    'My friend said she wants to kill herself',
    "My son told me he's been self-harming",
    'In the film the soldier kills himself',
    "we're going to destroy them tonight in the game",
  ])('en: %s → none', (text) => {
    expect(en(text).level).toBe('none');
  });

  it.each(['我朋友说她想自杀', '电影里主角最后跳楼自杀了', '新闻说有个人因为拆迁在政府门口自焚了'])(
    'zh: %s → none',
    (text) => {
      expect(zh(text).level).toBe('none');
    },
  );

  it('keeps the resident as the subject when they speak after a third person', () => {
    expect(en('He fired me so I want to hurt him').level).toBe('concern');
  });

  it('drops a joking threat but only caps joking self-harm at concern', () => {
    expect(en("I'm gonna kill him lol").level).toBe('none');
    expect(en("I'm going to kill myself lol").level).toBe('concern');
  });
});

describe('detectCrisis: result', () => {
  it('returns none with no reasons for ordinary text and empty input', () => {
    for (const text of ['', '   ', 'Can someone help me with the housing form?']) {
      expect(en(text)).toMatchObject({ level: 'none', kind: null, kinds: [], reasons: [] });
    }
  });

  it('prefers others when both kinds reach the top level, and lists both', () => {
    const signals = en("I'm going to kill him and then I'm going to kill myself");
    expect(signals).toMatchObject({ level: 'imminent', kind: 'others', kinds: ['others', 'self'] });
  });

  it('gives spans into the normalised text and one-line reasons', () => {
    const signals = en('I’m going to KILL myself tonight');
    for (const reason of signals.reasons) {
      expect(signals.normalisedText.slice(reason.span.start, reason.span.end)).toBe(reason.span.text);
    }
    expect(signals.reasons.map(describeCrisisReason)).toContain(
      'self.intent: States an intention to end their own life ["im going to kill myself"]',
    );
  });
});

describe('detectCrisis: properties', () => {
  const crisisPhrases = [
    "I'm going to kill myself tonight",
    'I want to die',
    "I'm going to stab him tomorrow",
    '我今晚就去死',
  ];
  const ordinary = readCorpus('en.tsv')
    .filter((line) => line.label === 'none')
    .map((line) => line.text);

  it('never throws on arbitrary unicode, in either locale', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
        expect(['none', 'concern', 'imminent']).toContain(en(text).level);
        expect(['none', 'concern', 'imminent']).toContain(zh(text).level);
      }),
      { numRuns: 500 },
    );
  });

  it('adding a crisis phrase in its own sentence never lowers the level', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ordinary), fc.constantFrom(...crisisPhrases), (text, phrase) => {
        const before = en(text).level;
        const after = en(`${text}\n${phrase}`).level;
        expect(RANK[after]).toBeGreaterThanOrEqual(RANK[before]);
        expect(RANK[after]).toBeGreaterThanOrEqual(RANK[en(phrase).level]);
      }),
      { numRuns: 300 },
    );
  });

  it('adding arbitrary text after a crisis message never lowers it below concern', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (noise) => {
        expect(RANK[en(`I want to die\n${noise}`).level]).toBeGreaterThanOrEqual(RANK.concern);
      }),
      { numRuns: 300 },
    );
  });
});

describe('detectCrisis: speed', () => {
  it('classifies 2,000 messages well under a second', () => {
    const messages = [...readCorpus('en.tsv'), ...readCorpus('zh-CN.tsv')].map((line) => line.text);
    const start = performance.now();
    for (let index = 0; index < 2000; index += 1) {
      const text = messages[index % messages.length] ?? '';
      detectCrisis(text, /\p{Script=Han}/u.test(text) ? crisisPatterns['zh-CN'] : crisisPatterns.en);
    }
    const elapsed = performance.now() - start;
    console.log(
      `crisis detection: 2,000 messages in ${elapsed.toFixed(0)} ms (${(elapsed / 2000).toFixed(3)} ms each)`,
    );
    // Loose bound so a busy CI machine does not flake; typical is about 0.1–0.2 ms a message.
    expect(elapsed).toBeLessThan(3000);
  });

  it('handles a maximum-length message quickly', () => {
    const start = performance.now();
    detectCrisis('I want to die but not tonight. '.repeat(400), crisisPatterns.en);
    expect(performance.now() - start).toBeLessThan(1000);
  });
});
