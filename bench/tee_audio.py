"""A labelled synthetic tee box: strikes, the sounds around them, and what sounds like one.

``make_clip(rng, seconds, snr_db)`` returns (mono float32 PCM at 16 kHz, strike times,
confounder [(time, kind)]). Every sound is built from noise, damped modes and
envelopes with numpy, after what is published about each:

- strikes: a sub-millisecond broadband impact click plus the head's ringing modes
  (driver: 3–6.5 kHz, 20–60 ms; fairway wood: 2.5–5 kHz; iron: weaker, shorter
  modes 2–5 kHz and a turf thud under 800 Hz); quieter ones lose some treble (air);
- background: wind (gusting low rumble), crowd murmur (many far talkers), near
  speech (voiced syllables with formants, fricatives and plosive bursts),
  birdsong (frequency-swept chirps and trills, 2–7 kHz) and applause (a train of
  claps swelling in after some strikes and now and then alone);
- confounders, not shots: a dropped club (a clank or a thud on turf, bouncing),
  a car door (a low thump and a latch click), a single clap or two.

``snr_db`` sets each strike's energy over its first 50 ms against the mean power
of the clip's background over the same time.
"""

import numpy as np

RATE = 16000


def _t(seconds):
    return np.arange(int(seconds * RATE)) / RATE


def _filtered(noise, low_hz=None, high_hz=None):
    """Brick-wall band filter by FFT (fine for synthesis)."""
    spectrum = np.fft.rfft(noise)
    freqs = np.fft.rfftfreq(len(noise), 1 / RATE)
    if low_hz:
        spectrum[freqs < low_hz] = 0
    if high_hz:
        spectrum[freqs > high_hz] = 0
    return np.fft.irfft(spectrum, len(noise)).astype(np.float32)


def _smooth_random(rng, n, rate_hz, low=0.0, high=1.0):
    """A slowly varying random curve (values in [low, high]) of n samples."""
    points = max(2, int(n / RATE * rate_hz) + 2)
    curve = np.interp(np.arange(n), np.linspace(0, n, points), rng.uniform(low, high, points))
    return curve.astype(np.float32)


def _normalise(x):
    peak = np.sqrt(np.mean(x**2)) or 1.0
    return (x / peak).astype(np.float32)


def _damped_modes(rng, seconds, freqs, taus, amps):
    t = _t(seconds)
    out = np.zeros_like(t)
    for f, tau, a in zip(freqs, taus, amps):
        out += a * np.sin(2 * np.pi * f * t + rng.uniform(0, 2 * np.pi)) * np.exp(-t / tau)
    return out.astype(np.float32)


def _attack(n, attack_seconds):
    ramp = np.ones(n, dtype=np.float32)
    k = max(1, int(attack_seconds * RATE))
    ramp[:k] = np.linspace(0, 1, k)
    return ramp


# Strikes ------------------------------------------------------------------------


def strike(rng, kind=None):
    kind = kind or rng.choice(["driver", "wood", "iron"])
    length = 0.25
    click = rng.standard_normal(int(length * RATE)).astype(np.float32)
    click *= np.exp(-_t(length) / rng.uniform(0.0006, 0.0015))
    if kind == "driver":
        modes = rng.uniform(3000, 6500, rng.integers(2, 5))
        body = _damped_modes(rng, length, modes, rng.uniform(0.02, 0.06, len(modes)), [1] * 4)
        thud = 0.2
    elif kind == "wood":
        modes = rng.uniform(2500, 5000, rng.integers(2, 4))
        body = _damped_modes(rng, length, modes, rng.uniform(0.012, 0.035, len(modes)), [1] * 4)
        thud = 0.4
    else:
        modes = rng.uniform(2000, 5000, rng.integers(1, 3))
        body = 0.5 * _damped_modes(rng, length, modes, rng.uniform(0.004, 0.012, 2), [1] * 4)
        thud = 1.0
    turf = _filtered(rng.standard_normal(int(length * RATE)), 80, 800)
    turf *= np.exp(-_t(length) / rng.uniform(0.015, 0.04)) * thud
    sound = 3.0 * click / (np.abs(click).max() or 1) + body + turf * 2
    return sound.astype(np.float32), kind


# Background ---------------------------------------------------------------------


def wind(rng, n):
    brown = np.cumsum(rng.standard_normal(n)).astype(np.float32)
    brown -= _filtered(brown, None, 2)  # remove the drift
    rumble = _filtered(brown, 20, rng.uniform(300, 700))
    gusts = _smooth_random(rng, n, rng.uniform(0.2, 0.6), 0.2, 1.5) ** 2
    return _normalise(rumble * gusts)


def murmur(rng, n, talkers=12):
    out = np.zeros(n, dtype=np.float32)
    for _ in range(talkers):
        voice = _filtered(rng.standard_normal(n), 150, rng.uniform(2000, 3500))
        syllables = _smooth_random(rng, n, rng.uniform(6, 10), 0, 1) ** 3
        out += voice * syllables * rng.uniform(0.5, 1.0)
    return _normalise(out)


def _syllable(rng, seconds):
    """A voiced syllable: harmonics of a gliding f0 through two formants, maybe a plosive."""
    t = _t(seconds)
    f0 = rng.uniform(95, 230) * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(1, 3) * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    f1, f2 = rng.uniform(300, 850), rng.uniform(900, 2400)
    out = np.zeros_like(t)
    for h in range(1, 30):
        fh = h * f0.mean()
        if fh > 3800:
            break
        gain = 1 / (1 + ((fh - f1) / 120) ** 2) + 0.6 / (1 + ((fh - f2) / 180) ** 2)
        out += gain * np.sin(h * phase)
    env = np.sin(np.pi * np.clip(t / seconds, 0, 1)) ** 0.6
    sound = (out * env).astype(np.float32)
    if rng.random() < 0.5:  # a plosive: a short broadband burst before the vowel
        burst = rng.standard_normal(int(0.012 * RATE)).astype(np.float32)
        burst *= np.exp(-_t(0.012) / 0.003) * np.abs(sound).max() * rng.uniform(0.3, 1.0)
        sound = np.concatenate([burst, np.zeros(int(0.02 * RATE), np.float32), sound])
    if rng.random() < 0.3:  # a fricative after it
        hiss = _filtered(rng.standard_normal(int(0.12 * RATE)), 3500, 7500)
        hiss *= np.sin(np.pi * _t(0.12) / 0.12) * 0.3 * np.abs(sound).max()
        sound = np.concatenate([sound, hiss.astype(np.float32)])
    return sound


def speech(rng, n):
    """One or two near talkers in phrases with pauses."""
    out = np.zeros(n, dtype=np.float32)
    for _ in range(rng.integers(1, 3)):
        pos = int(rng.uniform(0, 3) * RATE)
        gain = rng.uniform(0.5, 1.0)
        while pos < n:
            for _ in range(rng.integers(3, 12)):
                if pos >= n:
                    break
                syllable = _syllable(rng, rng.uniform(0.1, 0.3))
                end = min(n, pos + len(syllable))
                out[pos:end] += gain * syllable[: end - pos]
                pos = end + int(rng.uniform(0.01, 0.08) * RATE)
            pos += int(rng.uniform(1.0, 6.0) * RATE)
    return _normalise(out)


def birdsong(rng, n):
    out = np.zeros(n, dtype=np.float32)
    pos = int(rng.uniform(0, 2) * RATE)
    while pos < n:
        base, spread = rng.uniform(2200, 5500), rng.uniform(300, 1500)
        seconds = rng.uniform(0.03, 0.12)
        for _ in range(rng.integers(1, 10)):  # a trill of like chirps
            if pos >= n:
                break
            t = _t(seconds)
            sweep = base + spread * np.sin(np.pi * t / seconds * rng.uniform(0.5, 2))
            chirp = np.sin(2 * np.pi * np.cumsum(sweep) / RATE)
            chirp *= np.sin(np.pi * t / seconds) ** 2
            end = min(n, pos + len(t))
            out[pos:end] += chirp[: end - pos].astype(np.float32)
            pos = end + int(rng.uniform(0.03, 0.1) * RATE)
        pos += int(rng.uniform(0.5, 5.0) * RATE)
    return _normalise(out)


def clap(rng):
    seconds = 0.06
    noise = _filtered(rng.standard_normal(int(seconds * RATE)), rng.uniform(400, 900), 4500)
    noise += 0.3 * rng.standard_normal(len(noise)).astype(np.float32) * noise.std()
    return (noise * np.exp(-_t(seconds) / rng.uniform(0.004, 0.01))).astype(np.float32)


def applause(rng, seconds):
    n = int(seconds * RATE)
    out = np.zeros(n, dtype=np.float32)
    rate = rng.uniform(15, 45)  # claps per second, many hands
    swell = np.minimum(1, _t(seconds) / rng.uniform(0.3, 1.0)) * np.minimum(
        1, (seconds - _t(seconds)) / 1.0
    )
    count = int(rate * seconds)
    for when in np.sort(rng.uniform(0, seconds - 0.06, count)):
        one = clap(rng) * rng.uniform(0.2, 1.0)
        i = int(when * RATE)
        out[i : i + len(one)] += one * swell[i]
    return out


# Confounders --------------------------------------------------------------------


def dropped_club(rng):
    on_turf = rng.random() < 0.5
    pieces, parts = [], []
    for bounce in range(rng.integers(2, 4)):
        if on_turf:
            hit = _filtered(rng.standard_normal(int(0.12 * RATE)), 80, 1500)
            hit *= np.exp(-_t(0.12) / 0.02)
            hit += 0.3 * _damped_modes(rng, 0.12, rng.uniform(1500, 4000, 2), [0.01] * 2, [1] * 2)
        else:
            click = rng.standard_normal(int(0.2 * RATE)) * np.exp(-_t(0.2) / 0.001)
            hit = click + _damped_modes(
                rng, 0.2, rng.uniform(1000, 6000, 4), rng.uniform(0.03, 0.12, 4), [1] * 4
            )
        parts.append(hit.astype(np.float32) * 0.6**bounce)
        pieces.append(int(rng.uniform(0.08, 0.3) * RATE))
    total = sum(pieces) + len(parts[-1])
    out = np.zeros(total, dtype=np.float32)
    pos = 0
    for hit, gap in zip(parts, pieces):
        out[pos : pos + len(hit)] += hit
        pos += gap
    return out


def car_door(rng):
    seconds = 0.3
    thump = _filtered(rng.standard_normal(int(seconds * RATE)), 30, rng.uniform(200, 400))
    thump *= _attack(len(thump), rng.uniform(0.002, 0.006)) * np.exp(
        -_t(seconds) / rng.uniform(0.04, 0.09)
    )
    thump += 0.5 * _damped_modes(rng, seconds, [rng.uniform(50, 120)], [0.06], [thump.std()])
    latch = _filtered(rng.standard_normal(int(seconds * RATE)), 1500, 6000)
    latch *= np.exp(-_t(seconds) / 0.003) * 0.15 * np.abs(thump).max()
    return (thump + latch).astype(np.float32)


def single_clap(rng):
    out = clap(rng)
    if rng.random() < 0.5:  # two claps, a third of a second apart
        gap = np.zeros(int(rng.uniform(0.25, 0.45) * RATE), np.float32)
        out = np.concatenate([out, gap, clap(rng)])
    return out


CONFOUNDERS = {"dropped club": dropped_club, "car door": car_door, "clap": single_clap}


# A clip ------------------------------------------------------------------------


def _place(out, sound, at_seconds, gain):
    i = int(at_seconds * RATE)
    end = min(len(out), i + len(sound))
    out[i:end] += gain * sound[: end - i]


def make_clip(rng, seconds, snr_db, background_level=0.008):
    """(pcm, strike times, [(time, confounder kind)]) for one clip at one SNR."""
    n = int(seconds * RATE)
    mix = {
        "wind": wind(rng, n) * rng.uniform(0.3, 1.2),
        "murmur": murmur(rng, n) * rng.uniform(0.2, 1.0),
        "speech": speech(rng, n) * rng.uniform(0.0, 1.5),
        "birdsong": birdsong(rng, n) * rng.uniform(0.0, 0.7),
    }
    background = sum(mix.values())
    background *= background_level / np.sqrt(np.mean(background**2))
    power = np.mean(background**2)
    strikes, events = [], []
    t = rng.uniform(2, 6)
    while t < seconds - 3:  # a strike every 10–30 s, as at a busy tee
        strikes.append(t)
        t += rng.uniform(10, 30)
    out = background.copy()
    for at in strikes:
        sound, _ = strike(rng)
        if snr_db < 20:  # a far strike: the air takes some treble
            sound = _filtered(sound, None, rng.uniform(5000, 8000))
        energy = np.mean(sound[: int(0.05 * RATE)] ** 2)
        _place(out, sound, at, np.sqrt(power * 10 ** (snr_db / 10) / energy))
        if rng.random() < 0.4:  # applause after some strikes
            length = rng.uniform(3, 8)
            when = at + rng.uniform(1.5, 4)
            _place(out, applause(rng, length), when, background_level * 2)
            events.append((when, "applause"))
    # Confounders away from strikes, and applause on its own now and then.
    busy = list(strikes)
    for _ in range(int(seconds / 20)):
        kind = rng.choice(list(CONFOUNDERS))
        for _attempt in range(20):
            when = rng.uniform(1, seconds - 2)
            if all(abs(when - other) > 4 for other in busy):
                break
        else:
            continue
        sound = CONFOUNDERS[kind](rng)
        energy = np.mean(sound[: int(0.05 * RATE)] ** 2) or 1
        level = rng.uniform(0, 20)  # as loud as a far-to-moderate strike, never louder
        _place(out, sound, when, np.sqrt(power * 10 ** (level / 10) / energy))
        events.append((when, kind))
        busy.append(when)
    if rng.random() < 0.3:
        when = rng.uniform(0, seconds - 6)
        _place(out, applause(rng, rng.uniform(3, 6)), when, background_level * 2)
        events.append((when, "applause"))
    peak = np.abs(out).max()
    if peak > 0.99:  # a microphone clips rather than wraps
        out = np.clip(out, -0.99, 0.99)
    return out.astype(np.float32), strikes, events
