import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { compileCrisisPatterns } from '../../../src/domain/risk/crisis-patterns.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * The safety net (patterns version 4): broad self-harm and violence vocabulary in a personal, present context is
 * at least `concern`, so the resident is offered a worker; the usual guards and each rule's `unless` (ordinary
 * use: a rope for a tarp, a knife for the kitchen) keep everyday messages at `none`. Sentences written for these
 * tests; none comes from a corpus file.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;

describe('safety net (en)', () => {
  it.each<TRow>([
    ['kms, cant do this', 'high'],
    ['kms tonight, the tablets are right here', 'imminent'],
    ['after friday im gone for good', 'imminent'],
    ['pray i never wake up', 'concern'],
    ["honestly I don't feel safe with my own thoughts", 'high'],
    ['slammed my head against the door till it went quiet', 'concern'],
    ['scratched my arms on purpose until it bled', 'concern'],
    ['if i vanished no one would even notice', 'concern'],
    ['the weedkiller under the sink is for me', 'high'],
    ['lined up all my sertraline on the bed', 'high'],
    ['sat on the edge of the motorway bridge', 'high'],
    ['sat on the edge of the motorway bridge, tonight', 'imminent'],
    ['nobody is stopping me this time, the bridge is ten minutes away', 'imminent'],
    ['swallowed whatever was in mums medicine cupboard', 'imminent'],
    ['the caseworker is getting a screwdriver in the neck', 'high'],
    ['the caseworker is getting a screwdriver in the neck on monday', 'imminent'],
    ['axe is under my coat, sitting outside the bailiff office', 'high'],
    ['going to tip the foreman off the scaffolding', 'high'],
    ["I'd love to see that developer suffer", 'concern'],
    ['the landlord better watch his back', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ['the rope is tied to the tree for the kids swing', 'none'],
    ["I'm standing on the bridge waiting for the number 9 bus", 'none'],
    ['sitting on the multi storey roof level because the lower floors were full', 'none'],
    ['got a hammer in the car for the fence posts', 'none'],
    ['my dad is gone for good, he moved to Spain', 'none'],
    ['when I am gone on holiday can someone water the plants', 'none'],
    ['not gonna be around for the meeting on monday', 'none'],
    ['I banged my head on the cupboard door this morning, ouch', 'none'],
    ['counted out my tablets for the week into the pill box like the nurse showed me', 'none'],
    ['the pills are for me, the doctor prescribed them for my back', 'none'],
    ['the manager is finished with the paperwork so we can sign', 'none'],
    ['he is getting a knife set for his birthday', 'none'],
    ['burned my hand on the kettle by accident', 'none'],
    ['nobody can stop me from going to the tribunal this time', 'none'],
    ['my wife would get the insurance for the car damage', 'none'],
    ['if my wages arent in by friday I will phone the union', 'none'],
    ['in the game the boss gets a sword to the head every round', 'none'],
    ["years ago I was not safe with my own thoughts, but I'm in a much better place now", 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('safety net (zh-CN)', () => {
  it.each<TRow>([
    // v10: sitting at the roof's edge now is an act under way (self.net-standing-now), as in English.
    ['我现在就坐在天台边上', 'imminent'],
    ['我在顶楼，今晚不下来了', 'imminent'],
    ['又用烟头烫了手背', 'concern'],
    ['药都攒好了', 'high'],
    ['要是出个车祸就好了', 'concern'],
    ['刚刚割开了手腕', 'imminent'],
    ['往自己身上浇了汽油', 'imminent'],
    ['煤气开了，窗户都封好了', 'imminent'],
    ['那个包工头下周一就到，铁棒我藏好了', 'imminent'],
    ['把那个经理从楼梯上推下去', 'high'],
    ['让那个科长小心点，走夜路当心点', 'concern'],
    ['总有一天我要找他算账', 'high'],
    ['送那个老板上路', 'high'],
    ['拆迁办那个主任每天六点下班，我就在门口等着他', 'concern'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['我现在在楼顶晒被子', 'none'],
    ['我站在桥上等公交车', 'none'],
    ['菜刀我磨好了，晚上包饺子', 'none'],
    ['绳子已经挂好了，可以晾衣服了', 'none'],
    ['药都数好了放药盒里，一天三次', 'none'],
    ['我先走了，明天见', 'none'],
    ['开着三轮直接冲过去，赶在下雨前把菜送到', 'none'],
    ['我在他家楼下等他，一起去吃饭', 'none'],
    ['拿头撞墙也想不出这道题', 'none'],
    ['最后一条消息了，明天再联系', 'none'],
    ['兜里揣着刀是因为要去削水果', 'none'],
    ['以前我会烫自己，已经两年没碰过了', 'none'],
    ['我不是想死，就是累', 'none'],
  ])('hard negative: %s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});

describe('ordinary use (`unless`)', () => {
  it('explains a net match away in the same sentence, and says so', () => {
    const signals = detectCrisis('the rope is tied to the beam for the tarp', crisisPatterns.en);
    expect(signals.level).toBe('none');
    expect(signals.suppressed.map((s) => s.cause)).toContain('ordinary-use');
  });

  it('rejects an `unless` regex that does not compile, with its path and id', () => {
    const result = compileCrisisPatterns({
      locale: 'en',
      version: 1,
      boundaries: { sentence: '[.!?]', clause: ',' },
      patterns: [{ id: 'x.y', kind: 'self', level: 'concern', description: 'd', regex: 'abc', unless: '(' }],
      negation: { window: 10, cues: [] },
      reported: { cues: [], firstPerson: [] },
      past: { cues: [] },
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join('\n')).toMatch(/patterns\.0\.unless.*x\.y/);
  });
});
