"""The command line lists every command and maps failures to documented exit codes."""

from support.cli import run_text

COMMANDS = ["encode", "decode", "inspect", "tokens", "bench", "train", "export", "models"]


def test_help_lists_every_command():
    result = run_text("--help")
    assert result.returncode == 0
    for command in COMMANDS:
        assert command in result.stdout


def test_unknown_flag_is_a_usage_error_on_one_line():
    result = run_text("--no-such-flag")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("elastictok: error:")
    assert "Traceback" not in result.stderr


def test_models_card_line_keeps_whole_words():
    from elastictok_cli.cli.models import _card_line

    line = _card_line(
        "# name\n\nAn adaptive tokenizer (FSQ bottleneck, " + "parameters " * 9 + "\n"
    )
    assert len(line) <= 80 and line.endswith(" ...")
    assert all(
        word in {"An", "adaptive", "tokenizer", "(FSQ", "bottleneck,", "parameters", "..."}
        for word in line.split()
    )
    assert _card_line("# name\nShort card.") == "Short card."
