"""`foresight import`: real files into a real DuckDB file, asserting on rows and on what the user is told."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from tests.conftest import FIXTURES

PATENTS = FIXTURES / "import" / "nvidia_patents_100_3broken.csv"
PATENT_ARGS = ["--kind", "patent", "--source", "nvidia", "--id-col", "patent_id", "--text-col", "abstract",
               "--date-col", "grant_date", "--split", "cpc_groups", "--split", "cpc_subclasses"]  # fmt: skip


def rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def test_three_broken_rows_among_100_import_97_and_name_the_lines(cli, db_path) -> None:
    result = cli("import", str(PATENTS), *PATENT_ARGS)
    assert result.exit_code == 0, result.output
    assert "read 100, inserted 97, updated 0, unchanged 0, skipped 3" in result.stdout
    for line, why in ((12, "no id"), (42, "no usable date"), (72, "expected 7 fields, found 3")):
        assert f"{PATENTS}:{line}: " in result.stderr
        assert why in result.stderr
    assert rows(db_path, "select count(*) from documents") == [(97,)]
    problems = rows(db_path, "select location from run_problems order by location")
    assert [p[0].rsplit(":", 1)[1] for p in problems] == ["12", "42", "72"]
    run = rows(db_path, "select command, status, counts from runs")
    assert run[0][:2] == ("import", "partial")
    assert json.loads(run[0][2]) == {
        "read": 100, "inserted": 97, "updated": 0, "unchanged": 0, "skipped": 3, "duplicates": 0,
    }  # fmt: skip


def test_reimport_inserts_and_updates_nothing(cli, db_path) -> None:
    cli("import", str(PATENTS), *PATENT_ARGS)
    again = cli("import", str(PATENTS), *PATENT_ARGS)
    assert "inserted 0, updated 0, unchanged 97" in again.stdout
    assert rows(db_path, "select count(*), count(distinct last_run_id) from documents") == [(97, 1)]


def test_patent_fields_and_cpc_lists_land_in_extra(cli, db_path) -> None:
    cli("import", str(PATENTS), *PATENT_ARGS)
    doc = rows(
        db_path,
        "select kind, source, title, published, extra->>'patent_type', "
        "json_array_length(extra->'cpc_subclasses') from documents where doc_id = 'nvidia:8724483'",
    )
    assert doc == []  # its date was broken on purpose: skipped, not stored with a wrong date
    first = rows(
        db_path,
        "select doc_id, kind, published, extra->'cpc_groups' from documents order by published limit 1",
    )[0]
    assert first[0].startswith("nvidia:") and first[1] == "patent"
    assert str(first[2]) == "1997-04-08"
    assert json.loads(first[3]) and all(isinstance(code, str) for code in json.loads(first[3]))


def test_changed_row_is_updated_and_new_row_inserted(cli, db_path, tmp_path) -> None:
    cli("import", str(PATENTS), *PATENT_ARGS)
    frame = pd.read_csv(PATENTS, dtype=str, keep_default_na=False)
    frame = frame.drop(index=70)  # the truncated row: pandas would pad it into a valid one
    frame.loc[0, "title"] = "A corrected title"
    extra = frame.iloc[[1]].copy()
    extra.loc[:, "patent_id"] = "99999999"
    edited = tmp_path / "edited.csv"
    pd.concat([frame, extra]).to_csv(edited, index=False)
    result = cli("import", str(edited), *PATENT_ARGS)
    assert "inserted 1, updated 1, unchanged 96" in result.stdout
    assert rows(db_path, "select title from documents where doc_id = 'nvidia:5619658'") == [("A corrected title",)]


def test_jsonl_gz_with_a_malformed_line_and_zoned_datetimes(cli, db_path, tmp_path) -> None:
    path = tmp_path / "news.jsonl.gz"
    lines = [
        json.dumps({"id": "a", "title": "Wärmepumpen für Bochum", "date": "2024-03-01T23:30:00-02:00", "feed": "WAZ"}),
        "{not json",
        json.dumps({"id": "b", "title": "Elektrolyseur in Duisburg", "date": "2024", "url": "https://x.example/b"}),
        json.dumps(["a list, not an object"]),
    ]
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    result = cli("import", str(path), "--kind", "news", "--source", "waz")
    assert result.exit_code == 0, result.output
    assert f"{path}:2: malformed JSON" in result.stderr
    assert f"{path}:4: line is not a JSON object" in result.stderr
    got = rows(db_path, "select doc_id, title, published, url, extra from documents order by doc_id")
    assert [(r[0], r[1], str(r[2]), r[3]) for r in got] == [
        ("waz:a", "Wärmepumpen für Bochum", "2024-03-02", None),
        ("waz:b", "Elektrolyseur in Duisburg", "2024-01-01", "https://x.example/b"),
    ]
    assert json.loads(got[0][4]) == {"feed": "WAZ"}
    assert json.loads(got[1][4]) == {"date_precision": "year"}


def test_a_source_column_gives_each_row_its_source_and_ids_keep_the_file_prefix(cli, db_path, tmp_path) -> None:
    path = tmp_path / "frontpages.csv"
    path.write_text(
        "url,site,title,date\n"
        "https://a.example/1,heise.de,Wärmepumpen im Test,2023-05-02\n"
        "https://b.example/2,zeit.de,Das Heizungsgesetz kommt,2023-05-03\n"
        "https://c.example/3,,Ohne Seite,2023-05-04\n",
        encoding="utf-8",
    )
    args = ["--kind", "news", "--source", "frontpages", "--id-col", "url", "--date-col", "date"]
    result = cli("import", str(path), *args, "--source-col", "site")
    assert result.exit_code == 0, result.output
    assert rows(db_path, "select doc_id, source, extra from documents order by doc_id") == [
        ("frontpages:https://a.example/1", "heise.de", "{}"),
        ("frontpages:https://b.example/2", "zeit.de", "{}"),
        ("frontpages:https://c.example/3", "frontpages", "{}"),  # an empty cell keeps the file's source
    ]
    assert rows(db_path, "select source, kind from sources order by source") == [
        ("frontpages", "news"), ("heise.de", "news"), ("zeit.de", "news"),
    ]  # fmt: skip
    wrong = cli("import", str(path), *args, "--source-col", "publisher")
    assert wrong.exit_code != 0 and "column 'publisher' (--source-col) not found" in wrong.stderr


def test_parquet_with_typed_columns(cli, db_path, tmp_path) -> None:
    path = tmp_path / "works.parquet"
    pd.DataFrame(
        {
            "work_id": ["W1", "W2"],
            "title": ["Solid-state battery cathodes", "Grüner Stahl"],
            "publication_date": pd.to_datetime(["2023-02-01", "2022-11-30"]),
            "cited_by": [3, 0],
            "rors": [["https://ror.org/04tsk2644"], []],
        }
    ).to_parquet(path)
    result = cli("import", str(path), "--kind", "publication", "--id-col", "work_id", "--date-col", "publication_date")
    assert result.exit_code == 0, result.output
    got = rows(db_path, "select doc_id, source, published, extra from documents order by doc_id")
    assert [(r[0], r[1], str(r[2])) for r in got] == [
        ("works:W1", "works", "2023-02-01"),
        ("works:W2", "works", "2022-11-30"),
    ]
    assert json.loads(got[0][3]) == {"cited_by": 3, "rors": ["https://ror.org/04tsk2644"]}


def test_windows_1252_file_is_read_with_a_note(cli, db_path, tmp_path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes("id,title,date\n1,Gelsenkirchen baut Wärmenetz,2022-01-05\n".encode("cp1252"))
    result = cli("import", str(path), "--kind", "news")
    assert result.exit_code == 0, result.output
    assert "not UTF-8 and were read as Windows-1252" in result.stderr
    assert rows(db_path, "select title from documents") == [("Gelsenkirchen baut Wärmenetz",)]


def test_repeated_ids_count_once_and_are_reported(cli, db_path, tmp_path) -> None:
    path = tmp_path / "dups.csv"
    path.write_text("id,text,date\n1,erste Fassung,2020-01-01\n2,anderes,2020-01-02\n1,zweite Fassung,2020-01-01\n")
    result = cli("import", str(path), "--kind", "policy")
    assert "inserted 2" in result.stdout and "repeated ids 1" in result.stdout
    assert f"{path}:4: id dups:1 repeats {path}:2" in result.stderr
    assert rows(db_path, "select text from documents where doc_id = 'dups:1'") == [("zweite Fassung",)]
    again = cli("import", str(path), "--kind", "policy")
    assert "inserted 0, updated 0, unchanged 2" in again.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("", [], "file is empty"),
        ("id,title,date\n", [], "no usable rows"),
        ("id,title,date\n1,x,2020\n", ["--date-col", "grant_date"], "'grant_date' (--date-col) not found; columns present: id, title, date"),  # noqa: E501
        ("key,title\n1,x\n", [], "no id column found"),
        ("id,title,date\n1,x,someday\n", [], "no usable rows"),
    ],
)  # fmt: skip
def test_files_that_cannot_be_imported_exit_non_zero_with_a_reason(cli, db_path, tmp_path, content, args, message):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    result = cli("import", str(path), "--kind", "news", *args)
    assert result.exit_code != 0
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_unknown_kind_and_missing_file_are_refused(cli, tmp_path) -> None:
    assert "unknown kind 'tweet'" in cli("import", str(PATENTS), "--kind", "tweet").stderr
    missing = cli("import", str(tmp_path / "nope.csv"), "--kind", "news")
    assert missing.exit_code == 1 and "no such file" in missing.stderr


def test_gzip_is_detected_by_content(cli, db_path, tmp_path) -> None:
    path = tmp_path / "patents.csv.gz"
    with open(PATENTS, "rb") as src, gzip.open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    result = cli("import", str(path), *PATENT_ARGS)
    assert "inserted 97" in result.stdout


def test_dates_are_read_by_the_same_reader_as_feeds_and_implausible_ones_are_refused(cli, db_path, tmp_path) -> None:
    source = tmp_path / "news.csv"
    source.write_text(
        "id,title,published\n"
        '1,Deutsch,"Dienstag, 5. März 2024, 10:00 Uhr"\n'
        "2,Unix,1709633000\n"
        '3,Zone,"Wed, 06 Mar 2024 00:30:00 MEZ"\n'
        "4,Monat,März 2024\n"
        '5,CMS-Vorgabe,"Thu, 01 Jan 1970 00:00:00 GMT"\n'
        "6,Zukunft,2150-01-01\n"
        "7,Mehrdeutig,05/03/2024\n",
        encoding="utf-8",
    )
    result = cli("import", str(source), "--kind", "news", "--id-col", "id", "--date-col", "published")
    assert result.exit_code == 0, result.stderr
    stored = rows(db_path, "select title, published, extra->>'date_precision' from documents order by doc_id")
    assert stored == [
        ("Deutsch", date(2024, 3, 5), None),
        ("Unix", date(2024, 3, 5), None),
        ("Zone", date(2024, 3, 5), None),  # 23:30 UTC on 5 March
        ("Monat", date(2024, 3, 1), "month"),
    ]
    problems = dict(rows(db_path, "select location, message from run_problems"))
    assert "before 1990, implausible for news" in problems[f"{source}:6"]
    assert "after tomorrow" in problems[f"{source}:7"]
    assert "day and month cannot be told apart" in problems[f"{source}:8"]
