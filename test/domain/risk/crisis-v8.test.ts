import { describe, expect, it } from 'vitest';
import { detectCrisis, type TCrisisSignals } from '../../../src/domain/risk/crisis.ts';
import { crisisPatterns } from './risk-data.ts';

/**
 * Constructions added in patterns version 8 (tuned on rounds I and J): a ligature fixed to something or at the
 * neck, something to stand on under it, legs over a railing, a blade in the bath, a gas method set up, a door
 * taped shut beside a means, stepping off now, being found, nobody here to stop them, doing it properly this
 * time, refusing an ambulance, things that will not be needed, a vehicle driven into water; 人在楼顶、翻到阳台外、
 * 带家人一起走、去那边找亲人、不叫救护车、煤气开了多久、没必要留着了、怎么走不疼. Hard negatives each rule must leave alone.
 * Sentences written for these tests after the rules; none comes from a corpus file or a round.
 */

type TRow = [text: string, level: TCrisisSignals['level']];

const en = (text: string) => detectCrisis(text, crisisPatterns.en).level;
const zh = (text: string) => detectCrisis(text, crisisPatterns['zh-CN']).level;

describe('version 8 constructions (en)', () => {
  it.each<TRow>([
    ['the flex is tied round the loft hatch', 'high'],
    ['the flex is tied round the loft hatch, waiting till they are asleep', 'imminent'],
    ['chair is under the beam and the rope is up', 'high'],
    ['the belt is around my neck and im sat on the stairs', 'imminent'],
    ['my feet are dangling over the edge of the multi storey', 'imminent'],
    ['lying in the bath with a blade, water going cold', 'imminent'],
    ['bag and helium in the boot, driving to the woods after dark', 'imminent'],
    ['windows are taped up and the charcoal is lit', 'imminent'],
    ['stepping off the viaduct now', 'high'],
    ['they will learn when they find me hanging in the shed on monday', 'imminent'],
    ['wife is at her sisters, nobody here to stop me and the pills are out', 'imminent'],
    ['this time i will do it properly', 'high'],
    ['swallowed the lot, not calling an ambulance, the tablets were mine', 'imminent'],
    ['my cat is with my sister now. wont need the flat after friday', 'imminent'],
    ['i drive the van into the canal after my last shift', 'imminent'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });

  it.each<TRow>([
    ['tied the dog lead round the door handle while i paid', 'none'],
    ['put a chair under the hook so i can hang the coats', 'none'],
    ['my headphones cord is wrapped around my neck again lol', 'none'],
    ['the mortgage is a rope around my neck these days', 'none'],
    ['kids sat with their legs over the edge of the pier fishing all day', 'none'],
    ['helium tank for the birthday balloons is in the boot', 'none'],
    ['the mechanic says the exhaust hose is leaking, another 200 quid', 'none'],
    ['stepping off the bus now, see you at the hall', 'none'],
    ['nobody can stop me from going to the tribunal this time', 'none'],
    ['redo the form and do it properly this time, they said', 'none'],
    ['i overdosed on chocolate at easter haha', 'none'],
    ['shot myself in the foot by telling the agent i had a dog', 'none'],
    ['my gp asked if i ever had thoughts of ending it and i said no, honestly', 'none'],
  ])('%s → %s', (text, level) => {
    expect(en(text)).toBe(level);
  });
});

describe('version 8 constructions (zh-CN)', () => {
  it.each<TRow>([
    ['人已经在天台了', 'high'],
    ['兄弟们对不住了 人已经在桥上了', 'imminent'],
    ['我翻出窗户外面了 下面是二十层', 'imminent'],
    ['今晚我就带着孩子一起走', 'imminent'],
    ['我想去那边陪我奶奶', 'high'],
    ['药都吃了 不用叫救护车', 'imminent'],
    ['燃气开了快半个小时了', 'imminent'],
    ['我妈走了以后 我也没必要活着了', 'high'],
    ['一直在查怎么死不那么痛苦', 'high'],
    ['绳子买了 明天就在仓库', 'imminent'],
    ['从烂尾楼楼顶跳 明天上午十点', 'imminent'],
    ['谁敢挡我我就砍谁', 'imminent'],
    ['上了这么多年访 就死给他们看', 'high'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });

  it.each<TRow>([
    ['人已经在楼顶收被子了', 'none'],
    ['我就去河边钓鱼 晚上回', 'none'],
    ['带着孩子一起去公园走走', 'none'],
    ['明天我去找我妈了 她腿不好', 'none'],
    ['摔了一跤 不用叫救护车 我没事', 'none'],
    ['煤气开了十分钟水还没烧开', 'none'],
    ['学习学到想死 明天还要考试', 'none'],
    ['以前割过 都好几年没有过了', 'none'],
    ['快手上那个不想活了的段子笑死', 'none'],
    ['之前有段时间想死 现在熬过来了', 'none'],
    ['网上看到有个大爷跳河 心里难受', 'none'],
    ['周一综合症犯了 不想上班', 'none'],
  ])('%s → %s', (text, level) => {
    expect(zh(text)).toBe(level);
  });
});
