import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * Constructions added in patterns version 5 (tuned on blind round G): medication or a gas method gathered, not
 * leaving alive, going into the water or over the edge, an engine running in a garage, body harm by habit, passive
 * ideation in other words; at a person's door with a weapon, smothering, arson in progress, a group going armed,
 * veiled threats. Hard negatives each rule must leave alone. Sentences written for these tests; none comes from a
 * corpus file.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;

describe('version 5 constructions (en)', () => {
  it.each<TRow>([
    ['been hoarding my diazepam in a sock drawer', 'high'],
    ['been hoarding my diazepam in a sock drawer, saturday night is when', 'imminent'],
    ['helium and a bag are ready, the woods tonight', 'imminent'],
    ['they can evict me on friday but i am not coming out alive', 'imminent'],
    ['engine running in the lockup and the van doors shut, I am in the back', 'imminent'],
    ['i stub cigarettes on my arm when the letters come', 'concern'],
    ['dying would be a relief at this point', 'concern'],
    ['idk why im still breathing honestly', 'concern'],
    ['i am outside her house now with a hammer', 'imminent'],
    ['ive got the cushion over his face and he stopped kicking', 'imminent'],
    ['im torching the agency office tonight', 'imminent'],
    ['or something nasty will happen to him, I promise', 'concern'],
    ["I'm going to hit the bailiff with a bar tomorrow", 'imminent'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ["we're going to smash the quiz at the pub on friday", 'none'],
    ["I'm going to hit the gym tonight after work", 'none'],
    ['bought some ibuprofen from the chemist for my back', 'none'],
    ['I bought melatonin because I cant sleep after the night shifts', 'none'],
    ["i'd rather die than work another christmas at that warehouse", 'none'],
    ['got a nasty burn on my hand from the oven tray, accidentally', 'none'],
    ['im on the roof fixing the satellite dish, landlord wont', 'none'],
    ['the pub is going up for sale tomorrow with the staff still working there', 'none'],
    ['waited outside his office now with my folder for an hour', 'none'],
    ['dont know why im still here in this queue, two hours now', 'none'],
    ['back in 2015 i overdosed, now i volunteer at a helpline', 'none'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('version 5 constructions (zh-CN)', () => {
  it.each<TRow>([
    ['降压药我数过了，一共五十片', 'high'],
    ['降压药我数过了，今晚全吃了', 'imminent'],
    ['在楼顶边上站着，数到十就下去', 'imminent'],
    ['车在车库里发动着，我就坐在车里', 'imminent'],
    ['抓胳膊抓到出血才停', 'concern'],
    ['我现在就在房东家门口，刀揣着呢', 'imminent'],
    ['明天往他家门上泼汽油点火', 'imminent'],
    ['他最好小心点', 'concern'],
    ['等经理下班我就开车撞过去', 'imminent'],
    ['好想睡一觉就别醒了', 'high'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['划手机划到半夜，眼睛疼', 'none'],
    ['我现在在他家楼下等他一起吃饭', 'none'],
    ['在天台边上坐着乘凉，风挺舒服', 'none'],
    ['降压药按医生说的每天吃一片', 'none'],
    ['开车撞过去的那个司机被抓了', 'none'],
    ['你们等着看通知吧', 'none'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});
