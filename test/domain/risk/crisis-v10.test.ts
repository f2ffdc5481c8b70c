import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * Constructions added in patterns version 10 (tuned on round L): medication or poison said to be taking effect
 * beside a farewell, a hook tested for a person's weight, fuel and matches at hand, a weapon to be brought where
 * the person's routine is known, fuel beside someone's door, something mixed into someone's food while they eat
 * it, farewells (only one of us coming back, see ya never, a letter for whoever finds it), "I no wan live again",
 * pinching or biting oneself until it marks, hopelessness; 农药喝下去了, 放心走了 after a hand-over, children
 * entrusted beside money or keys, standing on the roof now, wxs, 想跟着她去, slapping oneself. Guards: a quoted
 * line with a song or film named in its sentence, a relative named bare or by a chain ("my son's friend"), clean
 * for years, "dead and buried before", "see them in court", a simile of a will (像遗书), 我舅…. Sentences written
 * for these tests after the rules (they pass by construction: they document, they do not measure); none comes
 * from a corpus file or a round.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;

describe('version 10 constructions (en)', () => {
  it.each<TRow>([
    ['signing off now. the tablets are starting to kick in', 'imminent'],
    ['the beam in the loft holds 90 kg, i tested it. this saturday', 'imminent'],
    ['tell my mum i loved her. petrol is in the shed and i have a lighter', 'imminent'],
    ['he drinks at the same bar every friday. tomorrow ill bring my machete', 'imminent'],
    ['petrol in two cans by her front door. 3am when the lights are off', 'imminent'],
    ['slipped something into my landlords coffee, hes drinking it now', 'imminent'],
    ['me and the cat are taking one last walk to the river. only one of us is coming back', 'imminent'],
    ['my note is on the bedside table for whoever finds me', 'imminent'],
    ['abeg i no wan live again', 'high'],
    ['i have no desire to keep living', 'high'],
    ['i bit my hand till it left marks so i would stop shouting', 'concern'],
    ['i feel completely hopeless', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ['the painkillers are kicking in finally, off to bed', 'none'],
    ['the hook in the hall holds 20 kg so the bike can go up there', 'none'],
    ['power cut again, got paraffin for the lamp and a box of matches', 'none'],
    ['ill bring my knife to the cooking class tomorrow', 'none'],
    ['the petrol can for the mower is by the back door, can you fill it', 'none'],
    ['i put some sugar in her tea, shes drinking it now', 'none'],
    ['"i want to die" is the whole chorus of that song, it is stuck in my head', 'none'],
    ['my sons friend overdosed last year and is doing well now', 'none'],
    ['i will be dead and buried before the council fixes the damp', 'none'],
    ['they keep calling, i told them ill see them in court', 'none'],
    ['"i have no will to live" - my phone at 2%', 'none'],
    ['signing off for today, see you monday', 'none'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('version 10 constructions (zh-CN)', () => {
  it.each<TRow>([
    ['敌敌畏喝下去了 嗓子火辣辣的', 'imminent'],
    ['狗托付给隔壁李叔了 我可以放心走了', 'imminent'],
    ['我现在就站在天台上', 'imminent'],
    ['存折在衣柜里 女儿就拜托她姑姑照顾', 'high'],
    ['wxs', 'high'],
    ['老伴走了三个月 我想跟着她去', 'high'],
    ['又打自己耳光了', 'concern'],
    ['要是我没了 孩子谁来管', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['我现在站在天台上看烟花', 'none'],
    ['孩子麻烦你帮忙照顾一下午 钥匙在门口地垫下 我去医院复查', 'none'],
    ['同事说我写的检讨像遗书', 'none'],
    ['我舅以前喝过农药 被救回来了 现在挺好的', 'none'],
    ['农药喝下去会怎样 我家狗舔了一点', 'none'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});
