"""`prompts import-recordings`: a studio's files (44.1 kHz stereo, any depth, FLAC, MP3) become telephone audio.

The studio folder is generated: sine tones between silences, written by soundfile, decoded for real.
"""

from __future__ import annotations

import hashlib
import io
import json
import wave
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile

from ivr.audio import recordings, wav
from ivr.audio.pieces import known_values, value_keys
from ivr.web.extension import runtime_of

STUDIO_RATE = 44100
MARGIN = wav.RATE * wav.TRIM_MARGIN_MS // 1000


def tone(seconds: float, hertz: float = 440.0, amplitude: float = 0.3, silence: float = 0.3) -> np.ndarray:
    """Return a stereo sine tone (the right channel a little quieter) between silences, at 44.1 kHz."""
    n = np.arange(int(STUDIO_RATE * seconds))
    sound = amplitude * np.sin(2 * np.pi * hertz * n / STUDIO_RATE)
    quiet = np.zeros(int(STUDIO_RATE * silence))
    mono = np.concatenate([quiet, sound, quiet])
    return np.stack([mono, 0.8 * mono], axis=1)


def write(path: Path, audio: np.ndarray, subtype: str = "PCM_16", rate: int = STUDIO_RATE, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), audio, rate, subtype=subtype, **kwargs)
    return path


def mp3_writable(tmp_path: Path) -> str | None:
    """Return why soundfile cannot write an MP3 here, or None when it can."""
    if "MP3" not in soundfile.available_formats():
        return "this libsndfile has no MP3 support"
    try:
        soundfile.write(str(tmp_path / "probe.mp3"), np.zeros(4410), STUDIO_RATE, format="MP3")
    except (RuntimeError, TypeError, ValueError) as error:
        return f"soundfile cannot write MP3 here: {error}"
    return None


@pytest.fixture
def studio(tmp_path) -> Path:
    """A studio's delivery: WAVs of several depths and rates, a FLAC, a prompt's stretches, short digits."""
    folder = tmp_path / "studio"
    write(folder / "fr" / "menu.choose.wav", tone(1.5, amplitude=0.05))  # recorded quietly
    write(folder / "fr" / "menu.no_input.wav", tone(1.0, hertz=600, amplitude=0.9), "PCM_24")
    write(folder / "fr" / "menu.invalid.wav", tone(1.0, hertz=800)[:, :1], "PCM_32", rate=48000)
    write(folder / "ar" / "menu.choose.flac", tone(1.2, hertz=500))
    write(folder / "ar" / "menu.no_input.wav", tone(1.0, hertz=700), "FLOAT")
    for number in (1, 2, 3):
        write(folder / "fr" / "credentials.sent" / f"{number}.wav", tone(0.6, hertz=300 + 100 * number), "PCM_24")
    for digit in (1, 2):
        write(folder / "fr" / f"digit.{digit}.wav", tone(0.25, hertz=900 + 100 * digit, silence=0.05))
    return folder


@pytest.fixture
def audio_dir(tmp_path) -> Path:
    return tmp_path / "audio"


@pytest.fixture
def run(app, audio_dir):
    def invoke(folder: Path, *options: str):
        return app.test_cli_runner().invoke(
            args=["prompts", "import-recordings", str(folder), "--audio-dir", str(audio_dir), *options]
        )

    return invoke


def samples_of(path: Path) -> tuple[wave._wave_params, np.ndarray]:
    with wave.open(str(path), "rb") as read:
        params = read.getparams()
        frames = read.readframes(read.getnframes())
    return params, np.frombuffer(frames, dtype="<i2").astype(np.float64) / wav.FULL_SCALE


def recorded(audio_dir: Path) -> dict[str, dict[str, str]]:
    return recordings.load(audio_dir).by_language


def lufs(signal: np.ndarray) -> float:
    return pyloudnorm.Meter(wav.RATE).integrated_loudness(signal)


def report_line(output: str, shown: str) -> str:
    [line] = [line for line in output.splitlines() if line.startswith(f"{shown}: ")]
    return line


def test_studio_files_of_any_rate_depth_and_format_become_8_khz_mono_16_bit_wavs_named_by_their_content(
    run, studio, audio_dir
):
    result = run(studio)
    assert result.exit_code == 0, result.output
    assert "10 imported, 0 replaced, 0 unchanged, 0 refused" in result.output
    assert {language: set(keys) for language, keys in recorded(audio_dir).items()} == {
        "fr": {"menu.choose", "menu.no_input", "menu.invalid", "digit.1", "digit.2"}
        | {f"credentials.sent/{n}" for n in (1, 2, 3)},
        "ar": {"menu.choose", "menu.no_input"},
    }
    for names in recorded(audio_dir).values():
        for name in names.values():
            data = (audio_dir / f"{name}.wav").read_bytes()
            assert hashlib.sha256(data).hexdigest()[:16] == name
            params, _ = samples_of(audio_dir / f"{name}.wav")
            assert (params.framerate, params.nchannels, params.sampwidth) == (8000, 1, 2)
    assert report_line(result.output, "ar/menu.choose.flac").startswith("ar/menu.choose.flac: imported: 1.2 s as ")


def test_every_recording_is_at_minus_20_lufs_within_1_lu_with_its_true_peak_under_minus_1_dbfs(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    for language, names in recorded(audio_dir).items():
        for key, name in names.items():
            _, signal = samples_of(audio_dir / f"{name}.wav")
            assert wav.true_peak(signal) <= wav.PEAK_CEILING_DBFS + 0.05, (language, key)
            if len(signal) >= wav.LOUDNESS_BLOCK_S * wav.RATE:
                assert abs(lufs(signal) - wav.TARGET_LUFS) <= 1.0, (language, key, lufs(signal))


def test_recordings_too_short_for_the_loudness_meter_are_brought_to_the_target_by_their_rms_level(
    run, studio, audio_dir
):
    assert run(studio).exit_code == 0
    for digit in ("digit.1", "digit.2"):
        _, signal = samples_of(audio_dir / f"{recorded(audio_dir)['fr'][digit]}.wav")
        assert len(signal) < wav.LOUDNESS_BLOCK_S * wav.RATE
        steady = signal[2 * MARGIN : -2 * MARGIN]
        assert abs(10 * np.log10(np.mean(steady**2)) - wav.TARGET_LUFS) <= 1.0


def test_recordings_are_trimmed_to_their_sound_and_faded_in_and_out_so_that_joins_do_not_click(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    threshold = wav.SILENCE_THRESHOLD / wav.FULL_SCALE
    for names in recorded(audio_dir).values():
        for name in names.values():
            _, signal = samples_of(audio_dir / f"{name}.wav")
            heard = np.flatnonzero(np.abs(signal) > threshold)
            assert heard[0] <= MARGIN + 1 and len(signal) - 1 - heard[-1] <= MARGIN + 1
            assert abs(signal[0]) < 0.001 and abs(signal[-1]) < 0.001


def test_a_recording_whose_peaks_would_pass_minus_1_dbfs_is_lowered_under_the_target_and_the_report_says_so(
    run, tmp_path, audio_dir
):
    clicks = np.zeros((STUDIO_RATE, 2))
    clicks[:: STUDIO_RATE // 20] = 0.9  # sparse loud clicks: quiet on average, loud at their peaks
    write(tmp_path / "clicks" / "fr" / "menu.choose.wav", np.concatenate([clicks, tone(0.5, amplitude=0.01)]))
    result = run(tmp_path / "clicks")
    assert result.exit_code == 0, result.output
    assert "dB under the loudness target to keep its peaks under -1 dBFS" in result.output
    _, signal = samples_of(audio_dir / f"{recorded(audio_dir)['fr']['menu.choose']}.wav")
    assert wav.true_peak(signal) <= wav.PEAK_CEILING_DBFS + 0.05


def test_an_mp3_from_the_studio_is_imported_like_a_wav(run, tmp_path, audio_dir):
    reason = mp3_writable(tmp_path)
    if reason:
        pytest.skip(reason)
    write(tmp_path / "mp3" / "fr" / "menu.choose.mp3", tone(1.0), subtype="MPEG_LAYER_III", format="MP3")
    result = run(tmp_path / "mp3")
    assert result.exit_code == 0, result.output
    _, signal = samples_of(audio_dir / f"{recorded(audio_dir)['fr']['menu.choose']}.wav")
    assert abs(lufs(signal) - wav.TARGET_LUFS) <= 1.0


def test_each_refused_file_gets_a_line_saying_why_and_the_command_exits_1_storing_nothing(run, tmp_path, audio_dir):
    folder = tmp_path / "refused"
    good = tone(0.5)
    write(folder / "xx" / "menu.choose.wav", good)
    write(folder / "fr" / "menu.chose.wav", good)
    write(folder / "fr" / "sms.credentials.wav", good)
    write(folder / "fr" / "digit_separator.wav", good)
    write(folder / "fr" / "credentials.sent.wav", good)
    write(folder / "fr" / "credentials.sent" / "4.wav", good)
    write(folder / "fr" / "menu.choose" / "1.wav", good)
    (folder / "fr" / "menu.invalid.wav").write_bytes(b"RIFF\x00\x00\x00\x00not a wave at all")
    write(folder / "fr" / "menu.no_input.wav", np.zeros((STUDIO_RATE, 2)))
    write(folder / "fr" / "menu.choose_help.wav", np.zeros((0, 2)))
    write(folder / "fr" / "language.welcome.wav", np.full((61 * 8000, 1), 0.1), rate=8000)
    (folder / "fr" / "notes.txt").write_text("takes 3 and 4 are the good ones")
    damaged = tone(0.5)
    damaged[1000] = np.nan
    write(folder / "fr" / "language.choose.wav", damaged, "FLOAT")
    result = run(folder)
    assert result.exit_code == 1
    expected = {
        "xx/menu.choose.wav": "refused: unknown language xx (the catalog's: ar, fr)",
        "fr/menu.chose.wav": "refused: unknown key menu.chose (did you mean menu.choose?)",
        "fr/sms.credentials.wav": "refused: sms.credentials is texted, never spoken",
        "fr/digit_separator.wav": "refused: digit_separator is not spoken",
        "fr/credentials.sent.wav": "refused: credentials.sent has values: record its stretches as "
        "credentials.sent/1.wav ... credentials.sent/3.wav",
        "fr/credentials.sent/4.wav": "refused: stretch 4 out of range: credentials.sent has 3 stretches (1 to 3)",
        "fr/menu.choose/1.wav": "refused: menu.choose has no values: record it as one file, menu.choose.wav",
        "fr/menu.invalid.wav": "refused: unreadable: ",
        "fr/menu.no_input.wav": "refused: silent",
        "fr/menu.choose_help.wav": "refused: empty",
        "fr/language.welcome.wav": "refused: over 60 s (61 s)",
        "fr/notes.txt": "refused: not a .wav, .flac or .mp3 file",
        "fr/language.choose.wav": "refused: unreadable: samples that are not numbers",
    }
    for shown, said in expected.items():
        assert report_line(result.output, shown).startswith(f"{shown}: {said}"), result.output
    assert "0 imported, 0 replaced, 0 unchanged, 13 refused" in result.output
    assert not (audio_dir / recordings.INDEX_FILE).exists() and not list(audio_dir.glob("*.wav"))


def test_two_files_for_one_recording_are_both_refused(run, tmp_path, audio_dir):
    write(tmp_path / "twice" / "fr" / "menu.choose.wav", tone(0.5))
    write(tmp_path / "twice" / "fr" / "menu.choose.flac", tone(0.5))
    result = run(tmp_path / "twice")
    assert result.exit_code == 1
    assert "fr/menu.choose.flac: refused: fr menu.choose is given more than once: fr/menu.choose.wav" in result.output
    assert "0 imported, 0 replaced, 0 unchanged, 2 refused" in result.output


def test_importing_the_same_folder_again_changes_no_file_and_not_the_index(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    before = {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in audio_dir.iterdir()}
    again = run(studio)
    assert again.exit_code == 0, again.output
    assert "0 imported, 0 replaced, 10 unchanged, 0 refused" in again.output
    assert report_line(again.output, "fr/menu.choose.wav") == "fr/menu.choose.wav: unchanged"
    assert {path.name: (path.stat().st_mtime_ns, path.read_bytes()) for path in audio_dir.iterdir()} == before


def test_a_new_take_replaces_its_prompts_recording_and_leaves_the_others_as_they_were(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    first = recorded(audio_dir)
    write(studio / "fr" / "menu.choose.wav", tone(1.5, hertz=520))
    result = run(studio)
    assert result.exit_code == 0, result.output
    old = first["fr"]["menu.choose"]
    assert report_line(result.output, "fr/menu.choose.wav").endswith(f"(was {old})")
    assert "0 imported, 1 replaced, 9 unchanged, 0 refused" in result.output
    now = recorded(audio_dir)
    assert now["fr"]["menu.choose"] != old and (audio_dir / f"{now['fr']['menu.choose']}.wav").exists()
    assert {**first["fr"], "menu.choose": now["fr"]["menu.choose"]} == now["fr"] and first["ar"] == now["ar"]


def test_an_import_leaves_no_partial_file_and_an_index_every_server_process_can_read(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    assert not [path for path in audio_dir.iterdir() if path.suffix not in (".wav", ".json")]
    assert json.loads((audio_dir / recordings.INDEX_FILE).read_text())["fr"]
    assert all(path.stat().st_mode & 0o044 == 0o044 for path in audio_dir.iterdir())


def test_a_folder_that_does_not_exist_exits_2(run, tmp_path):
    result = run(tmp_path / "nowhere")
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_the_written_files_are_plain_pcm_wav_that_the_wave_module_reads_whole(run, studio, audio_dir):
    assert run(studio).exit_code == 0
    name = recorded(audio_dir)["fr"]["menu.choose"]
    data = (audio_dir / f"{name}.wav").read_bytes()
    with wave.open(io.BytesIO(data)) as read:
        assert read.getcomptype() == "NONE"
        assert 44 + 2 * read.getnframes() == len(data)
        assert abs(read.getnframes() / 8000 - 1.5) < 2 * wav.TRIM_MARGIN_MS / 1000 + 0.01


def test_a_value_said_in_a_prompt_is_imported_whole_under_its_value_key(run, tmp_path, audio_dir, app):
    known = value_keys(known_values(runtime_of(app)))
    date_key = next(key for key in known if key.startswith("value.date."))
    folder = tmp_path / "values"
    write(folder / "fr" / f"{date_key}.wav", tone(0.8))

    result = run(folder)

    assert result.exit_code == 0, result.output
    assert report_line(result.output, f"fr/{date_key}.wav").startswith(f"fr/{date_key}.wav: imported")
    assert set(recorded(audio_dir)["fr"]) == {date_key}


def test_a_value_no_prompt_says_or_a_value_in_a_subfolder_is_refused_saying_why(run, tmp_path, audio_dir, app):
    known = value_keys(known_values(runtime_of(app)))
    month_key = next(key for key in known if key.startswith("value.month."))
    folder = tmp_path / "values"
    write(folder / "fr" / "value.month.1999-01.wav", tone(0.5))
    write(folder / "fr" / month_key / "1.wav", tone(0.5))

    result = run(folder)

    assert result.exit_code == 1
    assert "fr/value.month.1999-01.wav: refused: unknown value value.month.1999-01: no prompt says it" in result.output
    assert f"refused: {month_key} is a value recorded whole: put it in fr/{month_key}.wav" in result.output


def test_a_replaced_takes_file_stays_an_hour_for_calls_that_were_given_it_then_the_next_import_deletes_it(
    run, studio, audio_dir
):
    assert run(studio).exit_code == 0
    old = recorded(audio_dir)["fr"]["menu.choose"]
    write(studio / "fr" / "menu.choose.wav", tone(1.5, hertz=520))
    assert run(studio).exit_code == 0
    assert (audio_dir / f"{old}.wav").exists()
    noted = json.loads((audio_dir / recordings.RETIRED_FILE).read_text())
    assert set(noted) == {old}

    index = recordings.load(audio_dir)
    deleted = recordings.retire(audio_dir, index, index, noted[old] + recordings.RETIRED_GRACE)

    assert deleted == 1 and not (audio_dir / f"{old}.wav").exists()
    assert json.loads((audio_dir / recordings.RETIRED_FILE).read_text()) == {}
    assert all((audio_dir / f"{name}.wav").exists() for name in index.names())


def test_a_retired_take_that_a_key_uses_again_is_kept(tmp_path):
    before = recordings.Recordings({"fr": {"menu.choose": "a" * 16}})
    after = recordings.Recordings({"fr": {"menu.choose": "b" * 16}})
    (tmp_path / f"{'a' * 16}.wav").write_bytes(b"RIFF")
    recordings.retire(tmp_path, before, after, now=0.0)

    recordings.retire(tmp_path, after, before, now=recordings.RETIRED_GRACE * 2)  # the old take is back

    assert (tmp_path / f"{'a' * 16}.wav").exists()
