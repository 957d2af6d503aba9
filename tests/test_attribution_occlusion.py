"""Occlusion at every setting the attribution lab's sliders allow: every pixel lies under a whole grey patch, the job
stays within its positions where the patch allows it, and the settings that used to stop the page (a stride above
the patch: 16/24, 24/32, and 16/8 once the stride was raised) draw a map."""

import pytest
import torch
from torch import nn

from cnnviz.imagelab import attribution
from cnnviz.imagelab.attribution import GREY, PixelSpace, attribute, occlusion, occlusion_starts, occlusion_stride

PATCHES = range(16, 113, 8)  # pages/attribution-lab.py's sliders
STRIDES = range(8, 57, 4)
SIDES = (224, 299)  # the lab's crops are 224; 299 (Inception v3's) leaves odd remainders


def _tiny_224() -> PixelSpace:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 5, stride=4, padding=2), nn.ReLU(), nn.AdaptiveAvgPool2d(4), nn.Flatten(),
                          nn.Linear(64, 3))
    return PixelSpace(model.eval().requires_grad_(False), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()


@pytest.mark.parametrize("side", SIDES)
def test_every_allowed_setting_covers_every_pixel_with_whole_patches(side):
    for patch in PATCHES:
        for asked in STRIDES:
            stride = occlusion_stride(side, patch, asked)
            starts = occlusion_starts(side, patch, stride)
            where = f"side {side}, patch {patch}, stride {asked} -> {stride}: {starts}"
            assert stride <= patch, where
            assert starts[0] == 0 and starts[-1] == side - patch, where  # whole patches, flush with both edges
            assert all(0 < b - a <= stride for a, b in zip(starts, starts[1:])), where  # no gap, no repeat
            covered = torch.zeros(side, dtype=torch.bool)
            for start in starts:
                covered[start:start + patch] = True
            assert covered.all(), where
            positions = len(starts) ** 2
            if stride < patch:  # the cap gives way only where a stride of the patch itself is needed to cover
                assert positions <= attribution.MOST_OCCLUSIONS, where
            else:
                assert len(occlusion_starts(side, patch, patch)) == len(starts), where


def test_the_positions_are_the_ones_counted_by_hand():
    assert occlusion_starts(224, 56, 24) == [0, 24, 48, 72, 96, 120, 144, 168]  # the default: 8 x 8
    assert occlusion_starts(20, 8, 5) == [0, 4, 8, 12]  # 12 pixels to travel in steps of at most 5: three of 4
    assert occlusion_starts(224, 16, 16) == list(range(0, 209, 16))
    assert occlusion_starts(10, 16, 4) == [0]  # a patch wider than the picture covers it in one position
    assert occlusion_stride(224, 16, 24) == 16 and occlusion_stride(224, 24, 32) == 24


def test_a_stride_above_the_patch_is_refused_where_it_would_leave_holes():
    with pytest.raises(ValueError, match="no patch covers"):
        occlusion(_tiny_224(), torch.rand(1, 3, 224, 224), 0, 16, 24)


def test_an_uneven_grid_equals_a_hand_written_loop_over_whole_patches():
    """20 pixels, patch 8, stride 5: the patch starts at 0, 4, 8 and 12 (Captum's grid would start one at 15 and cut
    it to 5 pixels, so the last column's drop would come from a sliver)."""
    torch.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2), nn.Flatten(),
                          nn.Linear(16, 3))
    net = PixelSpace(model.eval(), (0.5, 0.5, 0.5), (0.25, 0.25, 0.25)).eval()
    pixels, target, patch = torch.rand(1, 3, 20, 20, generator=torch.Generator().manual_seed(2)), 1, 8
    with torch.no_grad():
        score = torch.softmax(net(pixels), dim=1)[0, target]
        total, count = torch.zeros(20, 20), torch.zeros(20, 20)
        for top in (0, 4, 8, 12):
            for left in (0, 4, 8, 12):
                covered = pixels.clone()
                covered[..., top:top + patch, left:left + patch] = GREY
                drop = score - torch.softmax(net(covered), dim=1)[0, target]
                total[top:top + patch, left:left + patch] += drop
                count[top:top + patch, left:left + patch] += 1
    assert count.min() >= 1
    found = occlusion(net, pixels, target, patch, 5)[0]
    for channel in found:
        torch.testing.assert_close(channel, total / count, atol=1e-6, rtol=1e-5)
    assert (total / count).abs().max() > 1e-4  # the check compares something


@pytest.mark.parametrize("patch, stride", [(16, 24), (24, 32), (16, 8), (24, 8), (112, 56)])
def test_the_settings_that_stopped_the_page_draw_a_map(patch, stride):
    """Through ``attribute``, as the page calls it: the first two asserted in Captum (a stride above the patch), 16/8
    once the stride was raised past the patch to fit the positions."""
    seen = []
    result = attribute(_tiny_224(), torch.rand(1, 3, 224, 224, generator=torch.Generator().manual_seed(3)), 0,
                       "occlusion", patch=patch, stride=stride, progress=seen.append)
    assert result.heatmap.shape == (224, 224) and result.detail["stride"] <= patch
    assert result.detail["positions"] == len(occlusion_starts(224, patch, result.detail["stride"])) ** 2
    assert 0 <= result.heatmap.min() and result.heatmap.max() <= 1
    assert seen and seen[-1] == 1.0 and all(a <= b for a, b in zip(seen, seen[1:]))  # the bar counted every pass
