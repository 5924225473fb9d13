"""Strikes in a tee box's sound: short broadband transients well above the running noise floor.

``StrikeDetector`` takes mono PCM at 16 kHz (int16 as ffmpeg's ``-f s16le`` writes
it, or float in [-1, 1]) in pieces of any length and returns the strikes it is sure
of, as seconds from the start of the audio it was fed. It looks at 8 ms frames
(4 ms hop) in three bands: all of it (from 60 Hz), the treble (2-7.5 kHz, where a
club face's click and ringing modes live and wind, murmur and voices are weak) and
the bass (60-800 Hz, an iron's turf thud). Each band is compared with its noise floor
(the median of the 3 s before). A frame whose level jumps ``threshold_db / 2``
within 8 ms is a candidate onset; it is a strike if it passes, in this order:

- **loud**: its peak is at least ``threshold_db`` over the floor;
- **sharp**: the treble jumps at least ``threshold_db`` within 12 ms (gusts, voices,
  a car door's thump and a dropped club on turf rise slower or lower down);
- **quiet before**: the 200 ms before were near the floor, in both bands (speech,
  applause);
- **a ring, not a click**: 24-48 ms after the peak the strongest treble bin is
  within 14 dB of the peak's (a club head's modes ring; a clap or a latch is noise
  that dies at once), or, for an iron whose modes die fast, the bass is still 6 dB
  over its floor (the turf);
- **short**: 120-240 ms after the peak the sound is back near the floor (speech,
  applause and wind go on);
- **alone**: no second onset 60-340 ms after the peak comes within 8 dB of it (a
  dropped club bounces, applause claps on; judged on the whole band, as the treble's
  own chirps and fricatives would reject weak strikes);
- **broadband**: at least 60 % of the bins from 250 Hz to 7.5 kHz are
  ``threshold_db / 2`` over their own floor at the peak (birdsong and vowels fill a
  part of it);
- **merged**: transients within ``merge_seconds`` of a strike are that shot.

A strike is known ``LOOKAHEAD_SECONDS`` after it (the "alone" test): the detector's
own delay. bench/shots.py measures it on synthetic tee-box audio.
"""

import numpy as np

SAMPLE_RATE = 16000
FRAME = 128  # 8 ms
HOP = 64  # 4 ms
FLOOR_FRAMES = 750  # 3 s
FLOOR_GAP_FRAMES = 16  # the floor ends 64 ms before the onset, so a strike does not lift it
TREBLE_HZ = (2000, 7500)
BASS_HZ = (60, 800)
BROADBAND_HZ = (250, 7500)
BROADBAND_SHARE = 0.6
BEFORE_FRAMES = (50, 4)  # 200-16 ms before the onset
QUIET_BEFORE_DB = 20.0
RING_FRAMES = (6, 12)  # 24-48 ms after the peak
RING_DROP_DB = 14.0
THUD_DB = 6.0
TAIL_FRAMES = (30, 60)  # 120-240 ms after the peak
TAIL_FALL_DB = 20.0
TAIL_NEAR_DB = 8.0
ALONE_FRAMES = (15, 85)  # 60-340 ms after the peak: a club's bounces come 80-300 ms apart
ALONE_DB = 8.0
LOOKAHEAD_FRAMES = ALONE_FRAMES[1] + 4
LOOKAHEAD_SECONDS = LOOKAHEAD_FRAMES * HOP / SAMPLE_RATE
DEFAULT_THRESHOLD_DB = 12.0
BLOCK_SAMPLES = SAMPLE_RATE // 2
DEFAULT_MERGE_SECONDS = 3.0


def _db(power):
    return 10 * np.log10(np.maximum(power, 1e-12))


class StrikeDetector:
    """Feed PCM; get strike times in seconds of the audio fed so far."""

    def __init__(self, threshold_db=DEFAULT_THRESHOLD_DB, merge_seconds=DEFAULT_MERGE_SECONDS):
        self.threshold_db = float(threshold_db)
        self.merge_seconds = float(merge_seconds)
        self.window = np.hanning(FRAME).astype(np.float32)
        freqs = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
        self.full_band = freqs >= BASS_HZ[0]
        self.treble_band = (freqs >= TREBLE_HZ[0]) & (freqs < TREBLE_HZ[1])
        self.bass_band = (freqs >= BASS_HZ[0]) & (freqs < BASS_HZ[1])
        self.bins = (freqs >= BROADBAND_HZ[0]) & (freqs < BROADBAND_HZ[1])
        self.treble_bins = self.treble_band[self.bins]  # the treble among the kept bins
        self.keep = FLOOR_FRAMES + FLOOR_GAP_FRAMES + LOOKAHEAD_FRAMES + 8
        self.levels = np.zeros((0, 3))  # per frame: (all, treble, bass) in dB
        self.spectra = np.zeros((0, int(self.bins.sum())))  # per frame: the broadband bins in dB
        self.pending = np.zeros(0, dtype=np.float32)  # samples not yet in a frame
        self.frames = 0  # frames made so far
        self.checked = 0  # frames judged as onsets so far
        self.last_strike = None
        self.samples_fed = 0

    @property
    def seconds_fed(self):
        return self.samples_fed / SAMPLE_RATE

    def feed(self, pcm):
        """Add samples; returns the strikes now certain, in seconds from the start."""
        samples = np.asarray(pcm)
        if samples.dtype == np.int16:
            samples = samples.astype(np.float32) / 32768.0
        else:
            samples = samples.astype(np.float32, copy=False)
        if len(samples) > BLOCK_SAMPLES:  # judged block by block: frames are kept 3.4 s
            found = []
            for start in range(0, len(samples), BLOCK_SAMPLES):
                found += self.feed(samples[start : start + BLOCK_SAMPLES])
            return found
        self.samples_fed += len(samples)
        data = np.concatenate([self.pending, samples])
        count = 0 if len(data) < FRAME else 1 + (len(data) - FRAME) // HOP
        if count:
            frames = np.lib.stride_tricks.sliding_window_view(data, FRAME)[::HOP][:count]
            power = np.abs(np.fft.rfft(frames * self.window, axis=1)) ** 2
            levels = _db(
                np.stack(
                    [
                        power[:, band].sum(axis=1)
                        for band in (self.full_band, self.treble_band, self.bass_band)
                    ],
                    axis=1,
                )
            )
            # Arrays, not deques: the judging slices them, and a copy of 3.5 s is cheap.
            self.levels = np.concatenate([self.levels, levels])[-self.keep :]
            self.spectra = np.concatenate([self.spectra, _db(power[:, self.bins])])[-self.keep :]
            self.frames += count
        self.pending = data[count * HOP :]
        return self._examine()

    def _examine(self):
        first = self.frames - len(self.levels)  # the frame number of levels[0]
        begin = max(self.checked, first + FLOOR_GAP_FRAMES + 25, first + BEFORE_FRAMES[0])
        end = self.frames - LOOKAHEAD_FRAMES  # onsets are judged once their lookahead is in
        if end <= begin:
            return []
        self.checked = end
        levels = self.levels
        full = levels[:, 0]
        ks = np.arange(begin, end) - first
        # Cheap first: a jump within 8 ms; only those few frames are judged in full.
        jumps = ks[full[ks] - full[ks - 2] >= self.threshold_db * 0.5]
        found = []
        for k in jumps:
            seconds = ((k + first) * HOP + FRAME / 2) / SAMPLE_RATE
            if self.last_strike is not None and seconds - self.last_strike < self.merge_seconds:
                continue
            if self._rejects(levels, int(k)):
                continue
            found.append(seconds)
            self.last_strike = seconds
        return found

    def _rejects(self, levels, k):
        """The name of the first test onset frame ``k`` fails, or None for a strike."""
        threshold = self.threshold_db
        floor_frames = slice(max(0, k - FLOOR_GAP_FRAMES - FLOOR_FRAMES), k - FLOOR_GAP_FRAMES)
        full, treble, bass = levels[:, 0], levels[:, 1], levels[:, 2]
        floor = float(np.median(full[floor_frames]))
        peak = k + int(np.argmax(full[k : k + 4]))
        rise = full[peak] - floor
        if rise < threshold:
            return "loud"
        treble_peak = k + int(np.argmax(treble[k : k + 4]))
        if treble[treble_peak] - treble[k - 3] < threshold:
            return "sharp"
        treble_floor = float(np.median(treble[floor_frames]))
        treble_rise = treble[treble_peak] - treble_floor
        before = slice(k - BEFORE_FRAMES[0], k - BEFORE_FRAMES[1])
        if np.median(full[before]) - floor > max(threshold / 2, rise - QUIET_BEFORE_DB) or (
            np.median(treble[before]) - treble_floor
            > max(threshold / 2, treble_rise - QUIET_BEFORE_DB)
        ):
            return "quiet before"
        spectra = self.spectra
        ring = spectra[peak + RING_FRAMES[0] : peak + RING_FRAMES[1], self.treble_bins].mean(
            axis=0
        )
        if np.max(ring) - np.max(spectra[peak, self.treble_bins]) < -RING_DROP_DB:
            bass_floor = float(np.median(bass[floor_frames]))
            if bass[peak + RING_FRAMES[0] : peak + RING_FRAMES[1]].mean() - bass_floor < THUD_DB:
                return "ring"
        tail = np.median(full[peak + TAIL_FRAMES[0] : peak + TAIL_FRAMES[1]]) - floor
        if tail > max(TAIL_NEAR_DB, rise - TAIL_FALL_DB):
            return "tail"
        after = full[peak + ALONE_FRAMES[0] - 2 : peak + ALONE_FRAMES[1]]
        onsets = after[2:][after[2:] - after[:-2] >= threshold / 2]
        if len(onsets) and onsets.max() >= full[peak] - ALONE_DB:
            return "alone"
        # Broadband: each bin against its own floor (only now: it costs a median per bin).
        bin_floor = np.median(spectra[floor_frames], axis=0)
        share = np.mean(spectra[peak] - bin_floor >= threshold / 2)
        return None if share >= BROADBAND_SHARE else "broadband"
