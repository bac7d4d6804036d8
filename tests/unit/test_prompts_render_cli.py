"""`flask prompts render` refuses, saying how to fix it, where the speech engine is missing."""


def test_render_without_espeak_ng_exits_2_and_says_how_to_install_it(app, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no espeak-ng on this PATH
    result = app.test_cli_runner().invoke(args=["prompts", "render", "--audio-dir", str(tmp_path / "audio")])
    assert result.exit_code == 2
    assert "espeak-ng is not installed" in result.output and "apt-get install espeak-ng" in result.output
    assert not (tmp_path / "audio").exists()
