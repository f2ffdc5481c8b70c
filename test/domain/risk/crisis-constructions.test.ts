import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * The compositional rules added for phrasing nobody wrote a pattern for (patterns version 2): intent + a few
 * words + an unambiguous act, a decided time before a bare first-person act, a named act lifted by a time, means
 * or plan, a person or role as the target, farewell hand-overs, and the hard negatives each rule must leave alone.
 * Sentences written for these tests; none comes from a corpus file.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;

describe('constructions (en)', () => {
  it.each<TRow>([
    // intent, up to five words, the act
    ["I'm going to wait till dark and hang myself", 'imminent'],
    ['gonna drive to the woods and shoot myself', 'imminent'],
    // decided time before a bare first-person act
    ['next saturday i end my life', 'imminent'],
    ['this thursday I stab the bailiff', 'imminent'],
    // a named act, lifted by means or time
    ['the belt is round my neck and I hang myself when she leaves', 'imminent'],
    ['I swallowed a whole packet of something from the cupboard', 'imminent'],
    ["I'm finishing it tonight, the rope is ready", 'imminent'],
    // a person or role as the target
    ["I'm going to go over there and strangle my ex husband", 'imminent'],
    ["i'm stabbing the agent tomorrow", 'imminent'],
    ['I have a blade ready for that inspector on Monday', 'imminent'],
    ['my supervisor is getting a bullet, I have the gun in the car', 'imminent'],
    // farewell hand-over beside a decided act
    ["Feed my dog for me. It happens tonight, I've got the tablets.", 'imminent'],
    // ideation stays concern
    ['sometimes I think about ending my life', 'high'],
    ['my life has no meaning any more', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ["I'm going to end things with my girlfriend tonight", 'none'],
    ["I'm going to call my sister and ask her what to do, I can't stop thinking", 'none'],
    ["I'm going to shoot the birthday party on Sunday with my new camera", 'none'],
    ['I hang myself a reminder on the fridge every night', 'none'],
    ['I bought a knife for the kitchen tomorrow', 'none'],
    ["I'm ending it with the gym, it's too expensive", 'none'],
    ["I'm not going to kill myself tonight, I'm staying at my mum's", 'none'],
    ['I tried to end my life years ago but I am doing well now', 'none'],
    ['In the film he decides tonight is when he ends his life', 'none'],
    ["I'm going to run over the paperwork with my support worker tomorrow", 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('constructions (zh-CN)', () => {
  it.each<TRow>([
    ['下个月之前我就不在了，后事都交代好了', 'imminent'],
    ['今晚我去湖边把自己淹死', 'imminent'],
    ['天一亮我就往下跳，我在天台上', 'imminent'],
    ['对不起妈妈，我今晚就走了', 'imminent'],
    ['我打算周末去他单位砍那个经理', 'imminent'],
    ['刀我带好了，我就在那个领导家楼下等着', 'imminent'],
    ['明天我就把那个骗子给宰了', 'imminent'],
    ['我买了枪，那个村长明天就完了', 'imminent'],
    ['药都攒够了，今晚一次性全吞下去', 'imminent'],
    ['我经常想从桥上跳下去', 'high'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['周末我们去烧烤，要买点木炭烤肉', 'none'],
    ['天冷了，奶奶还在用炭火取暖', 'none'],
    ['今晚别找我，我要加班', 'none'],
    ['我没有想自杀，只是心里很乱', 'none'],
    ['我明天要去找那个经理谈工资', 'none'],
    ['我准备把这个bug干掉再下班', 'none'],
    ['新闻说一个男的在桥上跳下去了', 'none'],
    ['以前我想过了结自己，现在早就走出来了', 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});

/**
 * Patterns version 3: lexicons of harm acts, means, poisons, places and plan cues, combined by structure (an act
 * or a means + a time, a known place or routine, something obtained, a decision, a group, a farewell, an act in
 * progress). Sentences written for these tests; none comes from a corpus file.
 */
describe('lexicon combinations, v3 (en)', () => {
  it.each<TRow>([
    // harm act + plan cue
    ['we have agreed to jump the bailiff after his shift on friday', 'imminent'],
    ['I know what time the inspector locks up. Monday night I run him over.', 'imminent'],
    ['I put rat poison in his coffee this morning', 'imminent'],
    ['spiking the supervisors drink at the party tomorrow', 'imminent'],
    ['got a sledgehammer in the boot. hes not walking away from this', 'imminent'],
    ["I'll put that developer in a wheelchair, I've picked out the spot", 'imminent'],
    ['going to burn the depot down tonight', 'imminent'],
    // self: means, in progress, farewell
    ['i am sitting on the ledge of the roof right now', 'imminent'],
    ['sealed the bathroom door and lit the charcoal', 'imminent'],
    ['swallowed a whole box', 'imminent'],
    ['just drank some weedkiller', 'imminent'],
    ['im going over the edge of the quarry at dawn', 'imminent'],
    ['these are the last words you will ever get from me', 'imminent'],
    // act without a plan cue stays concern
    ['one day I will end him', 'high'],
    ['I want to run that landlord over', 'high'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ['we are going to jump the queue at the post office tomorrow', 'none'],
    ['I put sugar in his coffee this morning', 'none'],
    ['I bought weedkiller for the allotment on saturday', 'none'],
    ['I could murder my laptop right now lol', 'none'],
    ['going to kill this appeal form tonight, nearly done', 'none'],
    ['we were standing on the roof terrace watching the fireworks', 'none'],
    ['I downed a whole bottle of water after the shift', 'none'],
    ['I know what time the post office closes on friday', 'none'],
    ['the hospital is where they put him after the fall, he is fine now', 'none'],
    ["I'm done with all of it, the forms, the calls, I just need an advocate", 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('lexicon combinations, v3 (zh-CN)', () => {
  it.each<TRow>([
    ['我在他的保温杯里下了毒鼠强', 'imminent'],
    ['扳手买好了，周六让那个老板躺医院', 'imminent'],
    ['我们几个商量好了，明晚把那个中介往死里打', 'imminent'],
    ['明早我开车撞那个经理，他每天七点到公司', 'imminent'],
    ['刚喝了农药', 'imminent'],
    ['我就从大桥栏杆上跳下去，时间定好了', 'imminent'],
    ['这个礼拜之内我要让那个骗子偿命', 'imminent'],
    ['真想把那个工头往死里打', 'high'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['这道题把我脑袋都要搞炸了', 'none'],
    ['下班后我把钱打过去给我妈，以前都这样', 'none'],
    ['农药放在水池边的柜子里，明天去打药', 'none'],
    ['我们几个商量好了，明天一起去劳动局讨工资', 'none'],
    ['他每天八点到公司，我想约他谈谈', 'none'],
    ['把这个问题解决掉就好了', 'none'],
    ['今晚不回来了，在公司加班，楼上还有会', 'none'],
    ['回家就把煤气打开烧水', 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});
