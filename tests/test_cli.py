import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli, format_result
from bot.people import People
from knowledge import Library, SearchResult
from knowledge.records import Duplicate

from .conftest import write
from .reply_helpers import hit as make_hit
from .web_helpers import Site

SEED_QUESTION = "متى بدأ وقف إطلاق النار في غزة؟"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "lib.db"


def _invoke(runner: CliRunner, *args: str, input: str | None = None):
    return runner.invoke(cli, list(args), input=input, catch_exceptions=False)


def test_every_command_has_help(runner: CliRunner) -> None:
    commands = ["ask", "ingest", "latest", "stats", "sources", "eval", "run", "chat"]
    assert set(commands) <= set(cli.list_commands(None))  # type: ignore[arg-type]
    for name in commands:
        result = _invoke(runner, name, "--help")
        assert result.exit_code == 0, name
        assert "Usage: " in result.output and len(result.output) > 100, name


def test_ask_builds_the_bundled_library_on_first_use(runner: CliRunner, db: Path) -> None:
    result = _invoke(runner, "ask", "--db", str(db), SEED_QUESTION)
    assert result.exit_code == 0
    assert "**وقف**" in result.output and "2021-05-21" in result.output
    assert db.exists()


def test_ask_uses_the_env_database_by_default(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTICLEBOT_DB", str(tmp_path / "env.db"))
    assert _invoke(runner, "ask", SEED_QUESTION).exit_code == 0
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_env_database_is_the_data_folders(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("ARTICLEBOT_DB", value)
    assert _invoke(runner, "ask", SEED_QUESTION).exit_code == 0
    assert (tmp_path / "xdg" / "articlebot" / "articlebot.db").exists()


def test_db_option_beats_the_env_and_expands_the_home_folder(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTICLEBOT_DB", str(tmp_path / "env.db"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert _invoke(runner, "ask", "--db", str(tmp_path / "option.db"), SEED_QUESTION).exit_code == 0
    assert (tmp_path / "option.db").exists() and not (tmp_path / "env.db").exists()
    monkeypatch.setenv("ARTICLEBOT_DB", "~/lib.db")
    assert _invoke(runner, "ask", SEED_QUESTION).exit_code == 0
    assert (tmp_path / "home" / "lib.db").exists()


def test_a_bot_command_reads_the_database_from_a_dotenv_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import click

    from bot.launch import BotCommand, db_option

    @click.command(cls=BotCommand)
    @db_option
    def show(db_path: Path) -> None:
        click.echo(db_path)

    # recorded as unset, so that the value the .env file sets is removed after the test
    monkeypatch.setenv("ARTICLEBOT_DB", "")
    monkeypatch.delenv("ARTICLEBOT_DB")
    write(tmp_path / ".env", f"ARTICLEBOT_DB={tmp_path / 'dotenv.db'}\n")
    monkeypatch.chdir(tmp_path)
    assert runner.invoke(show, []).output.strip() == str(tmp_path / "dotenv.db")
    assert runner.invoke(show, ["--db", "x.db"]).output.strip() == "x.db"


def test_every_command_reads_the_env_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ingest, ask, stats... use the library the bot's .env names, as run and chat do
    monkeypatch.setenv("ARTICLEBOT_DB", "")
    monkeypatch.delenv("ARTICLEBOT_DB")
    write(tmp_path / ".env", f"ARTICLEBOT_DB={tmp_path / 'dotenv.db'}\n")
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "src" / "a.md", "---\ntitle: Port strike\n---\nDockworkers began a strike.\n")
    result = runner.invoke(cli, ["ingest", str(tmp_path / "src"), "--no-embed"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dotenv.db").exists()
    assert "dotenv.db" in runner.invoke(cli, ["stats"]).output


def test_ask_json_shape(runner: CliRunner, db: Path) -> None:
    result = _invoke(runner, "ask", "--db", str(db), "--json", "-k", "2", SEED_QUESTION)
    answer = json.loads(result.output)
    assert set(answer) == {"query", "answered", "hits"}
    assert answer["answered"] is True and len(answer["hits"]) == 2
    hit = answer["hits"][0]
    assert set(hit) == {
        "article_id",
        "title",
        "url",
        "published",
        "passage_id",
        "text",
        "score",
        "similarity",
        "best_sentence",
        "also_in",
    }
    assert hit["also_in"] == []  # the bundled library carries no story twice
    assert "وقف إطلاق النار" in hit["best_sentence"] and hit["best_sentence"] in hit["text"]
    assert hit["score"] > 0 and hit["passage_id"] != answer["hits"][1]["passage_id"]


def test_ask_text_names_the_other_papers_of_a_passage() -> None:
    copies = (
        Duplicate(2, 20, "Other title", "Other paper", "https://other.example/x", "2021-05-22"),
        Duplicate(3, 30, "Third title", None, None, None),
    )
    shown = format_result(
        SearchResult("q", True, [make_hit(passage_id=1, also_in=copies), make_hit(passage_id=4)])
    )
    lines = shown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("  1. "))
    assert lines[at + 1] == (
        "     also in: Other paper — Other title — 2021-05-22 — https://other.example/x"
    )
    assert lines[at + 2] == "     also in: Third title"
    assert lines[at + 3].startswith("  2. ")


@pytest.mark.parametrize(
    ("question", "reason_text"),
    [
        ("ما هي عاصمة فرنسا؟", "nothing on that"),
        ("what's the weather in London", "nothing on that"),
        ("ما هو", "only very common words"),
        ("؟؟؟ !!", "in words"),
    ],
)
def test_ask_unanswerable(runner: CliRunner, db: Path, question: str, reason_text: str) -> None:
    result = _invoke(runner, "ask", "--db", str(db), question)
    assert result.exit_code == 0 and reason_text in result.output
    answer = json.loads(_invoke(runner, "ask", "--db", str(db), "--json", question).output)
    assert answer["answered"] is False and answer["hits"] == []


def test_ask_batch(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": 1, "question": SEED_QUESTION}, ensure_ascii=False),
        json.dumps({"id": "b", "question": "ما هي عاصمة فرنسا؟"}, ensure_ascii=False),
        "not json",
        json.dumps({"id": 3}),
        "",
    ]
    batch = write(tmp_path / "q.jsonl", "\n".join(lines))
    result = _invoke(runner, "ask", "--db", str(db), "--json", "-k", "1", "--batch", str(batch))
    out = [json.loads(line) for line in result.output.splitlines()]
    assert [o["id"] for o in out] == [1, "b", None, 3]
    assert out[0]["answered"] and len(out[0]["hits"]) == 1
    assert not out[1]["answered"]
    assert "not JSON" in out[2]["error"] and "question" in out[3]["error"]


def test_ask_needs_a_question_or_a_batch(runner: CliRunner, db: Path) -> None:
    result = runner.invoke(cli, ["ask", "--db", str(db)])
    assert result.exit_code == 2 and "QUESTION or --batch" in result.output


def test_ingest_report_and_exit_codes(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    good = write(tmp_path / "src" / "a.md", "---\ntitle: T\ndate: 2024-01-01\n---\nنص المقال.")
    bad = write(tmp_path / "src" / "b.json", "{broken")
    result = runner.invoke(cli, ["ingest", "--db", str(db), str(tmp_path / "src")])
    assert result.exit_code == 0
    assert "added 1" in result.output and "failed 1" in result.output
    assert f"{bad}: unparseable JSON" in result.output
    as_json = runner.invoke(cli, ["ingest", "--db", str(db), "--json", str(good)])
    assert json.loads(as_json.output)["unchanged"] == 1
    all_bad = runner.invoke(cli, ["ingest", "--db", str(db), str(bad)])
    assert all_bad.exit_code == 1
    usage = runner.invoke(cli, ["ingest", "--db", str(db)])
    assert usage.exit_code == 2


def test_ingest_urls(runner: CliRunner, db: Path, site: Site) -> None:
    body = "".join(f"<p>{s} في غزة والقدس ورفح.</p>" for s in ("نص أول", "نص ثان", "نص ثالث"))
    feed = site.add(
        "/feed.rss",
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>أخبار</title>'
        "<item><title>خبر</title><link>https://news.invalid/1</link>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded></item></channel></rss>",
    )
    result = runner.invoke(cli, ["ingest", "--db", str(db), feed])
    assert result.exit_code == 0 and "added 1" in result.output
    assert len(site.hits("/feed.rss")) == 1
    missing = runner.invoke(cli, ["ingest", "--db", str(db), site.url("/gone.rss")])
    assert missing.exit_code == 1
    assert f"{site.url('/gone.rss')}: HTTP 404" in missing.output


def test_ingest_sync_removes(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.md", "نص أ.")
    gone = write(tmp_path / "src" / "b.md", "نص ب.")
    _invoke(runner, "ingest", "--db", str(db), str(tmp_path / "src"))
    gone.unlink()
    out = json.loads(
        _invoke(runner, "ingest", "--db", str(db), "--json", "--sync", str(tmp_path / "src")).output
    )
    assert out["removed"] == 1


def test_latest_and_stats(runner: CliRunner, db: Path) -> None:
    latest = json.loads(_invoke(runner, "latest", "--db", str(db), "--json", "-n", "3").output)
    assert len(latest) == 1 and latest[0]["published"] == "2021-05-21"
    assert "2021-05-21" in _invoke(runner, "latest", "--db", str(db)).output
    stats = json.loads(_invoke(runner, "stats", "--db", str(db), "--json").output)
    assert stats["articles"] == 1 and stats["passages"] >= 5
    assert stats["bm25"] == {"variant": "okapi", "k1": 1.5, "b": 0.75, "epsilon": 0.25}
    assert "articles:" in _invoke(runner, "stats", "--db", str(db)).output


def test_sources(runner: CliRunner, db: Path) -> None:
    _invoke(runner, "latest", "--db", str(db))  # builds the bundled library
    coverage = json.loads(_invoke(runner, "sources", "--db", str(db), "--json").output)
    assert coverage["articles"] == 1 and coverage["last_refresh"]
    (origin,) = coverage["origins"]
    assert origin["name"] == "articles" and origin["articles"] == 1
    assert origin["newest"] == "2021-05-21" and "سيف القدس" in origin["newest_title"]
    assert "2021-05-21  articles  (newest: " in _invoke(runner, "sources", "--db", str(db)).output


def test_eval_on_a_small_squad_file(runner: CliRunner, tmp_path: Path) -> None:
    squad = {
        "data": [
            {
                "title": "Gaza",
                "paragraphs": [
                    {
                        "context": "A ceasefire in Gaza began on Friday 21 May after eleven days.",
                        "qas": [
                            {
                                "question": "When did the Gaza ceasefire begin?",
                                "answers": [{"text": "Friday 21 May"}],
                            }
                        ],
                    },
                    {
                        "context": "Rockets reached Tel Aviv for the first time.",
                        "qas": [{"question": "Which city did rockets reach?", "answers": []}],
                    },
                ],
            }
        ]
    }
    path = write(tmp_path / "squad.json", json.dumps(squad))
    both = json.loads(_invoke(runner, "eval", "--json", str(path)).output)
    assert set(both) == {"bm25", "hybrid"}  # side by side, on the same questions
    figures = both["bm25"]
    assert figures["questions"] == 2 and figures["R@1"] == 100.0
    assert figures["AnsR@1"] == 50.0
    assert both["hybrid"]["questions"] == 2 and both["hybrid"]["R@1"] == 100.0
    assert "R@1" in _invoke(runner, "eval", str(path)).output
    bad = write(tmp_path / "bad.json", "{}")
    assert runner.invoke(cli, ["eval", str(bad)]).exit_code == 1


def test_stats_on_a_mistyped_library_path_says_so(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["stats", "--db", str(tmp_path / "typo.db")])
    assert result.exit_code == 1 and "no library at" in result.output
    assert not (tmp_path / "typo.db").exists()


def test_ingest_while_another_ingest_runs_is_a_clear_error(
    runner: CliRunner, db: Path, tmp_path: Path
) -> None:
    from knowledge.locking import exclusive

    write(tmp_path / "a.md", "نص.")
    _invoke(runner, "ask", "--db", str(db), "غزة")
    with exclusive(db):
        result = runner.invoke(cli, ["ingest", "--db", str(db), str(tmp_path / "a.md")])
    assert result.exit_code == 1 and "another ingest" in result.output
    assert "Traceback" not in result.output


def test_batch_file_with_a_byte_order_mark(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    batch = write(tmp_path / "q.jsonl", "\ufeff" + json.dumps({"id": 1, "question": "غزة"}))
    result = _invoke(runner, "ask", "--db", str(db), "--json", "--batch", str(batch))
    assert json.loads(result.output)["id"] == 1


def test_stats_show_feedback(runner: CliRunner, db: Path) -> None:
    _invoke(runner, "ask", "--db", str(db), SEED_QUESTION)  # builds the library
    with Library.open(db) as library, People(db) as people:
        passage = library.search(SEED_QUESTION, k=1).hits[0]
        for user, helpful in ((1, False), (2, False), (3, True), (4, True)):
            question = people.record_question(SEED_QUESTION, True)
            assert question is not None
            people.record_feedback(question, user, helpful, [passage.passage_id])
    text = _invoke(runner, "stats", "--db", str(db)).output
    assert "feedback:    4 votes, 2 helpful (50% helpful)" in text
    assert f"     2  {passage.title}: " in text
    data = json.loads(_invoke(runner, "stats", "--db", str(db), "--json").output)
    assert data["helpful_rate"] == 0.5
    assert data["top_unhelpful"][0]["passage_id"] == passage.passage_id


def test_ingest_says_what_it_skipped_and_noted(runner: CliRunner, db: Path, tmp_path: Path) -> None:
    write(tmp_path / "src" / "a.md", "نص المقال الأول.")
    write(tmp_path / "src" / "README.md", "How to use this folder.")
    write(tmp_path / "src" / "b.json", json.dumps({"title": ["Two", "parts"], "text": "Body."}))
    result = runner.invoke(cli, ["ingest", "--no-embed", "--db", str(db), str(tmp_path / "src")])
    assert result.exit_code == 0
    assert "added 2" in result.output and "failed 0, skipped 1;" in result.output
    assert f"skipped: {tmp_path / 'src' / 'README.md'}: not an article" in result.output
    assert f"note: {tmp_path / 'src' / 'b.json'}#1: title given as a list" in result.output


def test_the_ingest_progress_moves_from_the_start_and_says_each_phase(
    runner: CliRunner, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.progress

    for i in range(3):
        write(tmp_path / "src" / f"{i}.md", f"نص المقال رقم {i} عن غزة.")
    monkeypatch.setattr(bot.progress, "terminal", lambda: True)
    calls: list[tuple] = []
    real = Library.ingest

    def ingest(self: Library, paths, sync=False, progress=None):  # type: ignore[no-untyped-def]
        class Spy:
            def __call__(self, done: int, total: int) -> None:
                calls.append((done, total, "reading", library.stats().articles))
                progress(done, total)

            def phase(self, name: str) -> None:
                calls.append((0, 0, name, None))
                progress.phase(name)

        library = self
        return real(self, paths, sync, Spy())

    monkeypatch.setattr(Library, "ingest", ingest)
    result = runner.invoke(cli, ["ingest", "--no-embed", "--db", str(db), str(tmp_path / "src")])
    assert result.exit_code == 0, result.output
    # the bar shows from before the first file is read, and each later phase is said
    assert calls[0][0] == 0 and calls[0][2] == "reading" and calls[0][3] == 0
    assert [c[2] for c in calls if c[2] != "reading"] == ["storing", "indexing"]
    assert "Storing the last articles read…" in result.output
    assert "Building the search index…" in result.output
