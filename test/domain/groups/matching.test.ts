import { describe, expect, it } from 'vitest';
import { groupsToOffer, MAX_GROUP_OFFERS } from '../../../src/domain/groups/matching.ts';

const group = (
  id: number,
  needs: string[],
  overrides: Partial<{ locale: string; isOpen: boolean; status: string }> = {},
) => ({
  id,
  needs,
  locale: 'en',
  isOpen: true,
  status: 'active',
  ...overrides,
});

describe('groupsToOffer', () => {
  it('offers active, open groups in the resident’s language that serve one of their needs, most needs served first', () => {
    const groups = [
      group(1, ['isolation']),
      group(2, ['injustice', 'failed_channels']),
      group(3, ['failed_channels'], { locale: 'zh-CN' }),
      group(4, ['failed_channels'], { status: 'paused' }),
      group(5, ['failed_channels'], { isOpen: false }),
      group(6, ['revenge']),
      group(7, ['injustice']),
    ];
    const offered = groupsToOffer(groups, {
      needs: ['injustice', 'failed_channels', 'isolation'],
      locale: 'en',
      excluded: new Set([7]),
    });
    expect(offered.map((g) => g.id)).toEqual([2, 1]);
  });

  it('offers three at most, and nothing without a need', () => {
    const groups = [1, 2, 3, 4, 5].map((id) => group(id, ['isolation']));
    expect(groupsToOffer(groups, { needs: ['isolation'], locale: 'en', excluded: new Set() })).toHaveLength(
      MAX_GROUP_OFFERS,
    );
    expect(groupsToOffer(groups, { needs: [], locale: 'en', excluded: new Set() })).toEqual([]);
  });
});
