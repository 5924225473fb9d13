"""Strikes in a tee box's sound: short broadband transients well above the running noise floor.

``StrikeDetector`` takes mono PCM at 16 kHz (int16 as ffmpeg's ``-f s16le`` writes
it, or float in [-1, 1]) in pieces of any length and returns the strikes it is sure
of, as seconds from the start of the audio it was fed. It looks at 8 ms frames
(4 ms hop) in three bands: all of it (from 60 Hz), the treble (2-7.5 kHz, where a
club face's click and ringing modes live and wind, murmur and voices are weak) and
the bass (60-800 Hz, an iron's turf thud), each against its noise floor (the median
of the 3 s before).

Two steps, and why:

- **the threshold decides what is loud enough**: a frame whose level jumps
  ``threshold_db / 2`` within 8 ms, and whose peak is ``threshold_db`` over the floor
  in all the band, or 6 dB more in the treble (a far strike keeps its click in the
  treble while wind fills the bass; the treble's floor is lower), is a candidate.
  This is the camera's sensitivity knob, in the dB a club can read off its own
  footage: higher, fewer shots.
- **a fitted model decides what is a strike**: hand rules (a ring, a short tail, no
  bounce, broadband) each held most of the time, but a far strike failed one by a few
  dB and a dropped club, a clap or a car door passed them all by a few, so they found
  four in five far strikes at three false shots per 10 minutes. The same measures as
  numbers (live/workers/strike_features.py) go to small boosted trees
  (strike_model.json) fitted on labelled synthetic tee-box audio, with the live test
  camera's kind of strike mixed in (fitted on tee_audio's alone it missed half of
  them), by ``bench/shot_detection.py fit``, on seeds the bench does not report.

Transients within ``merge_seconds`` of a strike are that shot. A strike is known
``LOOKAHEAD_SECONDS`` after it (the model reads 480 ms past the peak for a bounce or
the next clap): the detector's own delay. bench/shots.py measures it.
"""

import json
from pathlib import Path

import numpy as np

from live.workers import strike_features
from live.workers.strike_features import FLOOR_FRAMES, FLOOR_GAP_FRAMES

SAMPLE_RATE = 16000
FRAME = 128  # 8 ms
HOP = 64  # 4 ms
TREBLE_HZ = (2000, 7500)
BASS_HZ = (60, 800)
SPECTRUM_HZ = (250, 7500)
MID_HZ = (1000, 2000)  # a dropped club's lower modes; a strike's are 2 kHz up
LOOKAHEAD_FRAMES = strike_features.AFTER_FEATURE_FRAMES + 4
LOOKAHEAD_SECONDS = LOOKAHEAD_FRAMES * HOP / SAMPLE_RATE
DEFAULT_THRESHOLD_DB = 12.0
TREBLE_MARGIN_DB = 6.0  # the treble's floor is lower: a peak must clear it by more
BLOCK_SAMPLES = SAMPLE_RATE // 2
DEFAULT_MERGE_SECONDS = 3.0
MODEL_PATH = Path(__file__).with_name("strike_model.json")


def _db(power):
    return 10 * np.log10(np.maximum(power, 1e-12))


def load_model(path=MODEL_PATH):
    model = json.loads(Path(path).read_text())
    if tuple(model["features"]) != strike_features.NAMES:
        raise ValueError(f"{path} was fitted on other features: refit it")
    return model


class StrikeDetector:
    """Feed PCM; get strike times in seconds of the audio fed so far."""

    model = None  # loaded once, on the first detector

    def __init__(self, threshold_db=DEFAULT_THRESHOLD_DB, merge_seconds=DEFAULT_MERGE_SECONDS):
        self.threshold_db = float(threshold_db)
        self.merge_seconds = float(merge_seconds)
        if StrikeDetector.model is None:
            StrikeDetector.model = load_model()
        # The bench's fit sets a list here: every candidate's (seconds, features).
        self.candidates = None
        self.window = np.hanning(FRAME).astype(np.float32)
        freqs = np.fft.rfftfreq(FRAME, 1 / SAMPLE_RATE)
        self.full_band = freqs >= BASS_HZ[0]
        self.treble_band = (freqs >= TREBLE_HZ[0]) & (freqs < TREBLE_HZ[1])
        self.bass_band = (freqs >= BASS_HZ[0]) & (freqs < BASS_HZ[1])
        self.bins = (freqs >= SPECTRUM_HZ[0]) & (freqs < SPECTRUM_HZ[1])
        bin_hz = freqs[self.bins]
        self.bands = (
            self.treble_band[self.bins],
            (bin_hz >= MID_HZ[0]) & (bin_hz < MID_HZ[1]),
            bin_hz < BASS_HZ[1],
            bin_hz,
        )
        self.keep = FLOOR_FRAMES + FLOOR_GAP_FRAMES + LOOKAHEAD_FRAMES + 8
        self.levels = np.zeros((0, 3))  # per frame: (all, treble, bass) in dB
        self.spectra = np.zeros((0, int(self.bins.sum())))  # per frame: the bins in dB
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
        if len(samples) > BLOCK_SAMPLES:  # judged block by block: frames are kept 3.6 s
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
            bands = (self.full_band, self.treble_band, self.bass_band)
            levels = _db(np.stack([power[:, band].sum(axis=1) for band in bands], axis=1))
            # Arrays, not deques: the judging slices them, and a copy of 3.6 s is cheap.
            self.levels = np.concatenate([self.levels, levels])[-self.keep :]
            self.spectra = np.concatenate([self.spectra, _db(power[:, self.bins])])[-self.keep :]
            self.frames += count
        self.pending = data[count * HOP :]
        return self._examine()

    def _examine(self):
        first = self.frames - len(self.levels)  # the frame number of levels[0]
        begin = max(
            self.checked,
            first + FLOOR_GAP_FRAMES + 25,
            first + strike_features.BEFORE_FEATURE_FRAMES,
        )
        end = self.frames - LOOKAHEAD_FRAMES  # onsets are judged once their lookahead is in
        if end <= begin:
            return []
        self.checked = end
        full = self.levels[:, 0]
        ks = np.arange(begin, end) - first
        # Cheap first: a jump within 8 ms; only those few frames are judged in full.
        jumps = ks[full[ks] - full[ks - 2] >= self.threshold_db * 0.5]
        found = []
        for k in jumps:
            k = int(k)
            seconds = ((k + first) * HOP + FRAME / 2) / SAMPLE_RATE
            merged = (
                self.last_strike is not None and seconds - self.last_strike < self.merge_seconds
            )
            if merged and self.candidates is None:
                continue
            if not self._loud(k):
                continue
            features = strike_features.measure(self.levels, self.spectra, k, self.bands)
            if self.candidates is not None:
                self.candidates.append((seconds, features))
            if merged or strike_features.score(self.model, features) <= self.model["cut"]:
                continue
            found.append(seconds)
            self.last_strike = seconds
        return found

    def _loud(self, k):
        """The onset's peak is ``threshold_db`` over the floor, in all the band or the treble."""
        _, floor = strike_features.floors(self.levels, k)
        peaks = self.levels[k : k + 4, :2].max(axis=0) - floor[:2]
        return bool(
            peaks[0] >= self.threshold_db or peaks[1] >= self.threshold_db + TREBLE_MARGIN_DB
        )
