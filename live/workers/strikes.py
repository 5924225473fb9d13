"""Strikes in a tee box's sound: short broadband transients well above the running noise floor.

``StrikeDetector`` takes mono PCM at 16 kHz (int16 as ffmpeg's ``-f s16le`` writes
it, or float in [-1, 1]) in pieces of any length and returns the strikes it is sure
of, as seconds from the start of the audio it was fed. It looks at 8 ms frames
(4 ms hop), each compared with the noise floor (the median of the 3 s before):

- **well above the floor**: the level jumps at least ``threshold_db`` within 8 ms
  (wind gusts, crowd swells and speech rise slower or less);
- **broadband**: at least 60 % of the spectrum from 250 Hz to 7.5 kHz rises with it,
  each band above its own floor (vowels, birdsong, wind and a car door's thump fill
  a part of it);
- **a ring, not a click**: 24–48 ms after the peak the sound is still within 18 dB
  of it (a club head rings; a hand clap or a latch dies at once);
- **alone and short**: the 200 ms before were near the floor and 120–240 ms after the
  peak the sound has fallen back (applause, speech and a bouncing club go on);
- **merged**: transients within ``merge_seconds`` of a strike are that shot.

A strike is known ``LOOKAHEAD_SECONDS`` after it (the "short" test): the detector's
own delay. bench/shots.py measures it on synthetic tee-box audio.
"""

from collections import deque

import numpy as np

SAMPLE_RATE = 16000
FRAME = 128  # 8 ms
HOP = 64  # 4 ms
FLOOR_FRAMES = 750  # 3 s
FLOOR_GAP_FRAMES = 16  # the floor ends 64 ms before the onset, so a strike does not lift it
BROADBAND_HZ = (250, 7500)
BROADBAND_SHARE = 0.6
RING_FRAMES = (6, 12)  # 24–48 ms after the peak
RING_DROP_DB = 18.0
BEFORE_FRAMES = (50, 4)  # 200–16 ms before the onset
TAIL_FRAMES = (30, 60)  # 120–240 ms after the peak
TAIL_FALL_DB = 20.0
QUIET_BEFORE_DB = 20.0
BOUNCE_SHARE = 1.0
LOOKAHEAD_SECONDS = (TAIL_FRAMES[1] + 4) * HOP / SAMPLE_RATE
DEFAULT_THRESHOLD_DB = 12.0
BLOCK_SAMPLES = SAMPLE_RATE // 2
DEFAULT_MERGE_SECONDS = 3.0


class StrikeDetector:
    """Feed PCM; get strike times in seconds of the audio fed so far."""

    def __init__(self, threshold_db=DEFAULT_THRESHOLD_DB, merge_seconds=DEFAULT_MERGE_SECONDS):
        self.threshold_db = float(threshold_db)
        self.merge_seconds = float(merge_seconds)
        self.window = np.hanning(FRAME).astype(np.float32)
        freqs = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
        self.full_band = freqs >= 60
        self.bins = (freqs >= BROADBAND_HZ[0]) & (freqs < BROADBAND_HZ[1])
        self.lookahead = TAIL_FRAMES[1] + 4
        keep = FLOOR_FRAMES + FLOOR_GAP_FRAMES + self.lookahead + 8
        self.full = deque(maxlen=keep)  # per frame: level in dB
        self.spectra = deque(maxlen=keep)  # per frame: the broadband bins in dB
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
            db = 10 * np.log10(np.maximum(power, 1e-12))
            full = 10 * np.log10(np.maximum(power[:, self.full_band].sum(axis=1), 1e-12))
            self.full.extend(full.tolist())
            self.spectra.extend(db[:, self.bins])
            self.frames += count
        self.pending = data[count * HOP :]
        return self._examine()

    def _examine(self):
        first = self.frames - len(self.full)  # the frame number of full[0]
        begin = max(self.checked, first + FLOOR_GAP_FRAMES + 25, first + BEFORE_FRAMES[0])
        end = self.frames - self.lookahead  # onsets are judged once their lookahead is in
        if end <= begin:
            return []
        self.checked = end
        full = np.fromiter(self.full, dtype=np.float64, count=len(self.full))
        ks = np.arange(begin, end) - first
        # Cheap first: a jump within 8 ms; only those few frames are judged in full.
        jumps = ks[full[ks] - full[ks - 2] >= self.threshold_db * 0.5]
        found = []
        for k in jumps:
            if self._rejects(full, int(k)):
                continue
            seconds = ((k + first) * HOP + FRAME / 2) / SAMPLE_RATE
            if self.last_strike is None or seconds - self.last_strike >= self.merge_seconds:
                found.append(seconds)
                self.last_strike = seconds
        return found

    def _rejects(self, full, k):
        """The name of the first test onset frame ``k`` fails, or None for a strike."""
        floor = float(
            np.median(full[max(0, k - FLOOR_GAP_FRAMES - FLOOR_FRAMES) : k - FLOOR_GAP_FRAMES])
        )
        threshold = self.threshold_db
        if full[k] - floor < threshold or full[k - 2] - floor >= threshold:
            return "above floor"
        peak = k + int(np.argmax(full[k : k + 4]))
        rise = full[peak] - floor
        before = np.median(full[k - BEFORE_FRAMES[0] : k - BEFORE_FRAMES[1]]) - floor
        if before > max(threshold / 2, rise - QUIET_BEFORE_DB):
            return "quiet before"
        ring = full[peak + RING_FRAMES[0] : peak + RING_FRAMES[1]].mean() - floor
        if ring < min(rise - RING_DROP_DB, threshold):
            return "ring"
        tail = np.median(full[peak + TAIL_FRAMES[0] : peak + TAIL_FRAMES[1]]) - floor
        if tail > max(threshold / 2, rise - TAIL_FALL_DB):
            return "tail"
        # A second hit soon after: a dropped club bouncing.
        after = full[peak + RING_FRAMES[1] : peak + TAIL_FRAMES[1]]
        if (
            np.max(after[2:] - after[:-2]) >= threshold * BOUNCE_SHARE
            and np.max(after) - floor >= threshold
        ):
            return "bounce"
        # Broadband: each bin against its own floor (only now: it costs a median per bin).
        spectra = np.array(self.spectra)[-len(full) :]
        bin_floor = np.median(
            spectra[max(0, k - FLOOR_GAP_FRAMES - FLOOR_FRAMES) : k - FLOOR_GAP_FRAMES], axis=0
        )
        share = np.mean(spectra[peak] - bin_floor >= threshold / 2)
        return None if share >= BROADBAND_SHARE else "broadband"
