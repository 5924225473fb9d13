"""What the strike detector measures about a candidate onset, for its fitted model.

Hand rules on a few of these (a ring, a quiet tail, no bounce) found only four in five
far strikes and still let a dropped club or a clap through three times per 10 minutes
(bench/README.md): each rule is right most of the time, but a far strike fails one of
them by a few dB and a confounder passes all of them by a few. So every measure is
kept as a number, in dB against the floor or the peak, and a small boosted-tree model
(strike_model.json, fitted by ``bench/shot_detection.py fit``) weighs them together.
The names are the model's columns: rename one and the model must be refitted.

``levels`` holds per frame (all, treble, bass) in dB; ``spectra`` the
dB of each bin from 250 Hz to 7.5 kHz; ``k`` is the onset frame, ``peak`` the loudest
of the 4 frames from it. Frames are 8 ms every 4 ms.
"""

import numpy as np

FLOOR_FRAMES = 750  # 3 s
FLOOR_GAP_FRAMES = 16  # the floor ends 64 ms before the onset, so a strike does not lift it
BEFORE_FRAMES = (50, 4)  # 200-16 ms before the onset
RINGS = ((2, 6), (6, 12), (12, 24), (24, 40))  # after the peak: 8-24 ms ... 96-160 ms
TAIL_FRAMES = (30, 60)  # 120-240 ms after the peak
AFTER_FRAMES = (15, 85, 120)  # bounces and claps: 60-340 ms, then 340-480 ms
NO_ONSET_DB = -40.0  # "no second onset" as a level under the peak
BEFORE_FEATURE_FRAMES = BEFORE_FRAMES[0]
AFTER_FEATURE_FRAMES = AFTER_FRAMES[2] + 4  # the frames after the onset the measures read

NAMES = (
    "rise", "jump", "tjump", "trise", "brise", "before", "tbefore", "before_max",
    "ring2", "tonal2", "ring6", "tonal6", "ring12", "tonal12", "ring24", "tonal24",
    "bring", "tail", "tail_rel", "ttail",
    "decay2", "tdecay2", "decay4", "tdecay4", "decay8", "tdecay8", "decay16", "tdecay16",
    "alone", "alone_late", "after_max", "after_max_late",
    "share6", "share12", "share_rel", "flat", "centroid", "hi_lo",
    "xjump_e", "xjump_l", "tjump_e", "tjump_l", "flux_on", "flux_e", "flux_l",
    "mid_ex6", "tre_ex6", "mid_ex12", "tre_ex12", "low_ex",
)  # fmt: skip


def floors(levels, k):
    """The frames of the onset's noise floor and the median of each level over them."""
    frames = slice(max(0, k - FLOOR_GAP_FRAMES - FLOOR_FRAMES), k - FLOOR_GAP_FRAMES)
    return frames, np.median(levels[frames], axis=0)


def measure(levels, spectra, k, bands):
    """The candidate at onset ``k`` as a vector in NAMES's order.

    ``bands`` holds boolean masks over the spectra's bins: treble, 1-2 kHz and
    under 800 Hz, and the bins' centre frequencies."""
    treble_bins, mid_bins, low_bins, bin_hz = bands
    full, treble, bass = levels.T
    floor_frames, (floor, treble_floor, bass_floor) = floors(levels, k)
    peak = k + int(np.argmax(full[k : k + 4]))
    treble_peak = k + int(np.argmax(treble[k : k + 4]))
    rise = full[peak] - floor
    before = slice(k - BEFORE_FRAMES[0], k - BEFORE_FRAMES[1])
    f = [
        rise,
        full[peak] - full[k - 3],
        treble[treble_peak] - treble[k - 3],
        treble[treble_peak] - treble_floor,
        bass[k : k + 4].max() - bass_floor,
        np.median(full[before]) - floor,
        np.median(treble[before]) - treble_floor,
        full[before].max() - full[peak],
    ]
    # The ring: a club head's modes go on in a few treble bins; a clap's noise dies.
    peak_bin = spectra[peak, treble_bins].max()
    for start, end in RINGS:
        ring = spectra[peak + start : peak + end, treble_bins].mean(axis=0)
        f += [ring.max() - peak_bin, ring.max() - np.median(ring)]
    tail = np.median(full[peak + TAIL_FRAMES[0] : peak + TAIL_FRAMES[1]]) - floor
    f += [
        bass[peak + 6 : peak + 12].mean() - bass_floor,
        tail,
        tail - rise,
        np.median(treble[peak + TAIL_FRAMES[0] : peak + TAIL_FRAMES[1]]) - treble_floor,
    ]
    for d in (2, 4, 8, 16):
        f += [full[peak + d] - full[peak], treble[peak + d] - treble[treble_peak]]
    # Alone: a dropped club bounces, applause claps on.
    first, split, last = AFTER_FRAMES
    after = full[peak + first - 2 : peak + last]
    jumps = after[2:] - after[:-2]
    early = jumps[: split - first]
    onsets = after[2:] - full[peak]
    f += [
        max(onsets[: split - first][early >= 6], default=NO_ONSET_DB),
        max(onsets[split - first :][jumps[split - first :] >= 6], default=NO_ONSET_DB),
        full[peak + first : peak + split].max() - full[peak],
        full[peak + split : peak + last].max() - full[peak],
    ]
    # Broadband: each bin against its own floor.
    bin_floor = np.median(spectra[floor_frames], axis=0)
    excess = spectra[peak] - bin_floor
    power = 10 ** (spectra[peak] / 10)
    lifted = np.maximum(10 ** (excess / 10) - 1, 0) * 10 ** (bin_floor / 10)
    f += [
        np.mean(excess >= 6),
        np.mean(excess >= 12),
        np.mean(excess >= rise - 15),
        np.exp(np.mean(np.log(power))) / np.mean(power),
        (lifted * bin_hz).sum() / max(lifted.sum(), 1e-12),
        _db(power[bin_hz >= 4000].sum()) - _db(power[bin_hz < 2000].sum()),
    ]
    treble_after = treble[peak + first - 2 : peak + last]
    treble_jumps = treble_after[2:] - treble_after[:-2]
    later = spectra[peak + first - 2 : peak + last]
    flux = np.maximum(later[2:] - later[:-2], 0).mean(axis=1)
    cut = split - first
    f += [
        jumps[:cut].max(),
        jumps[cut:].max(),
        treble_jumps[:cut].max(),
        treble_jumps[cut:].max(),
        np.maximum(spectra[peak] - spectra[k - 3], 0).mean(),
        flux[:cut].max(),
        flux[cut:].max(),
    ]
    for start, end in RINGS[1:3]:
        ring = spectra[peak + start : peak + end].mean(axis=0) - bin_floor
        f += [ring[mid_bins].max(), ring[treble_bins].max()]
    f.append((spectra[peak + 2 : peak + 8].mean(axis=0) - bin_floor)[low_bins].mean())
    return np.array(f, dtype=float)


def _db(power):
    return 10 * np.log10(np.maximum(power, 1e-12))


def score(model, features):
    """The boosted trees' log-odds that the candidate is a strike."""
    total = model["bias"]
    for tree in model["trees"]:
        while isinstance(tree, list):  # [column, split, left (<=), right]
            tree = tree[2] if features[tree[0]] <= tree[1] else tree[3]
        total += tree
    return total
