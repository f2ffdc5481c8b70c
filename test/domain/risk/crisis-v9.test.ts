import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { combineCrisisReadings, modelDamperIn } from '../../../src/domain/risk/crisis-combine.ts';
import type { TModelReading } from '../../../src/domain/risk/crisis-model.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * Constructions added in patterns version 9 (tuned on round K): someone else's act or the past (a relative's
 * accidental overdose, 有个工友…喝了农药, 那年), milestones free of self-harm, farewells by settling affairs (the
 * writer as the last thing to sort, no meal to be kept, a word passed on, 明天我就看不到了), gas turned on and not
 * lit in a shut room, gas bottles or explosives laid for the people who come, a weapon taken along (拿刀找他);
 * and the model damper: laughter or emoji marking hyperbole, or lawful action without a time, means, plan or
 * target, keeps the learned model alone from reading a message `high`. Sentences written for these tests; none
 * comes from a corpus file or a round.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;
const both = [crisisPatterns.en, crisisPatterns['zh-CN']];

describe('version 9 constructions (en)', () => {
  it.each<TRow>([
    [
      'paid back the bits i owed and closed my bank account. only thing left to deal with is myself',
      'imminent',
    ],
    ['all thats left to sort out is me', 'imminent'],
    ['i left the hob on and didnt light it, the kitchen door is shut', 'imminent'],
    ['turned the gas on full and the windows are shut, lying on the floor now', 'imminent'],
    ['the demolition crew come monday, ive buried gas bottles in the garden for them', 'imminent'],
    ['dont save me a plate tonight. tell lucy happy birthday for me. i wont see tomorrow', 'imminent'],
    ['i overdosed on purpose last week and im still shaky', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ['the last thing left to sort is the garage, then the move is done', 'none'],
    ['the gas is on but not lit, can an engineer come, i can smell it', 'none'],
    ['we stacked the gas bottles by the bbq for the party', 'none'],
    ['my grandad took too many of his heart pills by accident, is he ok', 'none'],
    ['my gran overdosed years ago and my mum still cries', 'none'],
    ['3 years clean from self harm, proud', 'none'],
    ['im going to strangle my flatmate if he uses my oat milk again 😂', 'none'],
    ["don't bother keeping dinner for me, i'm working late", 'none'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it('reads hyperbole marked by an emoji as concern at most', () => {
    expect(en('honestly this bus company makes me want to die 🙃')).toBe('concern');
  });
});

describe('version 9 constructions (zh-CN)', () => {
  it.each<TRow>([
    ['燃气我拧开了没点火 门窗都关严了', 'imminent'],
    ['煤气灶开着没点着 我在床上躺着等', 'imminent'],
    ['拆迁队明天来 我在屋里埋好了几个液化气罐', 'imminent'],
    ['在阳台上摆好了煤气罐 谁敢来拆就一起完', 'imminent'],
    ['以后不用给我做饭了 替我跟我妈说声对不起 过了今晚就看不到你们了', 'imminent'],
    ['不投诉了 下回直接拿刀找他', 'imminent'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['煤气没点着 吓我一跳 赶紧关了', 'none'],
    ['院子里放了几个煤气罐 送气的明天来换', 'none'],
    ['这个展明天我就看不到了 好可惜', 'none'],
    ['有个老乡去年跳了河 想起来就难受', 'none'],
    ['我们村那年有个大爷喝了百草枯 没救过来', 'none'],
    ['我爸拿着菜刀找他理论', 'none'],
    ['他拿刀找我 我吓坏了', 'none'],
    ['我以前天天想死 现在孩子大了 好多了', 'none'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it('does not take "not joking" for a joke', () => {
    expect(zh('这次真不是开玩笑 我已经站在天台边上了')).not.toBe('concern');
    expect(zh('这破班上得我想死🙃')).toBe('concern');
  });
});

describe('the model damper', () => {
  const modelHigh: TModelReading = {
    locale: 'en',
    probabilities: { none: 0.2, concern: 0.2, high: 0.5, imminent: 0.1 },
    level: 'high',
    agrees: true,
  };
  const read = (text: string, patterns = crisisPatterns.en) => {
    const rules = detectCrisis(text, patterns);
    return combineCrisisReadings(rules, modelHigh, undefined, [], modelDamperIn(both, text)).level;
  };

  it('finds laughter, emoji and lawful action, in either language', () => {
    expect(modelDamperIn(both, 'ill kill my brother if he eats my chips again 😂')?.id).toBe('joke.laughter');
    expect(modelDamperIn(both, 'we are taking the landlord to a tribunal')?.id).toBe('lawful.action');
    expect(modelDamperIn(both, '再拖工资我们就申请劳动仲裁 看他怎么办')?.id).toBe('lawful.action');
    expect(modelDamperIn(both, '今天在街道办跟那个主任吵起来了')?.id).toBe('lawful.action');
    expect(modelDamperIn(both, 'what time does the office open')).toBeUndefined();
  });

  it('does not take lawful action beside a time, means or target as reassurance, nor a dropped case', () => {
    expect(modelDamperIn(both, '仲裁输了 今晚就去他家门口等他 刀带上了')).toBeUndefined();
    expect(
      modelDamperIn(both, 'the lawyer has a hearing at 3 today, ill be waiting for him'),
    ).toBeUndefined();
    expect(modelDamperIn(both, '不投诉了 下回就是拳头')).toBeUndefined();
  });

  it('keeps a model-only high at concern, but never lowers what the rules read', () => {
    expect(read('ill kill my brother if he eats my chips again 😂')).toBe('concern');
    expect(read('we had a row with the landlord again, he never listens')).toBe('concern');
    expect(read('what time does the office open on monday')).toBe('high');
    expect(read('im taking him to court and then ill kill him, i know where he parks')).toBe('imminent');
  });
});
