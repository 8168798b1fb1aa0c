from __future__ import annotations

from pathlib import Path

import pytest

from identity_graph.config import Settings
from identity_graph.errors import ConfigError
from identity_graph.ingest.normalize import Normalizer
from identity_graph.ingest.observations import ParseResult
from identity_graph.ingest.readers import read_items
from identity_graph.ingest.records import RecordMapping, RecordParser
from identity_graph.service.identity import IdentityService, StreamRejected, records_mapping
from tests.helpers import login, person_of

CRM = """crm_id,email,phone,first_name,last_name,birth_date,address,postcode,city,updated_at
C1,anna@example.com,(201) 555-0123,Anna,Smith,1980-02-03,1 Main St,10001,New York,2025-01-01
C2,bob@example.com,,Bob,Jones,1975-05-06,2 Oak Ave,10002,New York,2025-01-02
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def ingest_crm(service: IdentityService, path: Path, source: str = "crm", **kw: object):
    mapping = records_mapping(path, source, None, service.normalizer.types)
    return service.ingest_stream(read_items(path), service.record_parser(mapping), **kw)  # type: ignore[arg-type]


def test_mapping_is_inferred_from_common_headers(tmp_path: Path, service: IdentityService) -> None:
    m = records_mapping(write(tmp_path, "crm.csv", CRM), "crm", None, service.normalizer.types)
    assert (m.id_column, m.id_type) == ("crm_id", "crm_id")
    assert m.identifiers == {"email": "email", "phone": "phone"}
    assert m.attributes["first_name"] == "given_name" and m.attributes["city"] == "suburb"
    assert m.timestamp_column == "updated_at"


def test_a_record_links_its_identifiers_and_keeps_attributes(
    tmp_path: Path, service: IdentityService
) -> None:
    report = ingest_crm(service, write(tmp_path, "crm.csv", CRM))
    assert report.summary.items == 2 and report.summary.records == 2
    p = service.person_by_identifier("phone", "+12015550123")
    assert {i.key for i in p.identifiers} == {
        "crm_id:C1",
        "email:anna@example.com",
        "phone:+12015550123",
    }
    (record,) = p.records
    assert record.source == "crm" and record.record_id == "C1"
    assert (
        record.attributes["given_name"] == "Anna"
        and record.attributes["date_of_birth"] == "1980-02-03"
    )
    assert p.attributes["surname"] == "Smith"


def test_records_join_web_identities_and_survivorship_prefers_crm(
    tmp_path: Path, service: IdentityService
) -> None:
    service.ingest_events([login("u1", "c1", email="anna@example.com")])
    ingest_crm(service, write(tmp_path, "crm.csv", CRM))
    loyalty = "loyalty_id,email,first_name,postcode\nL1,ANNA@example.com,Annie,99999\n"
    ingest_crm(service, write(tmp_path, "loyalty.csv", loyalty), source="loyalty")
    p = service.person_by_identifier("customer_id", "u1")
    assert {"crm_id:C1", "loyalty_id:L1", "cookie:c1"} <= {i.key for i in p.identifiers}
    assert p.attributes["given_name"] == "Anna"  # crm outranks loyalty
    assert p.attributes["postcode"] == "10001"
    assert {r.source for r in p.records} == {"crm", "loyalty"}


def test_reingesting_the_same_file_changes_nothing(
    tmp_path: Path, service: IdentityService
) -> None:
    path = write(tmp_path, "crm.csv", CRM)
    ingest_crm(service, path)
    before = service.stats()
    report = ingest_crm(service, path)
    assert report.summary.replayed == 2
    assert service.stats() == before


def test_second_crm_id_for_one_person_is_refused(tmp_path: Path, service: IdentityService) -> None:
    dup = CRM + "C3,anna@example.com,,Anna,Smith,1980-02-03,1 Main St,10001,New York,2025-01-03\n"
    report = ingest_crm(service, write(tmp_path, "crm.csv", dup))
    assert report.summary.merges_refused == 1
    assert person_of(service, "crm_id:C1") != person_of(service, "crm_id:C3")


def test_bad_rows_reject_their_batch_and_name_line_and_column(
    tmp_path: Path, service: IdentityService
) -> None:
    bad = CRM + "C3,not-an-email,,X,Y,,,,,\n,c@x.org,,X,Y,,,,,\n"
    path = write(tmp_path, "crm.csv", bad)
    with pytest.raises(StreamRejected) as info:
        ingest_crm(service, path, batch_size=10)
    assert [(e.position, e.field) for e in info.value.errors] == [(4, "email"), (5, "crm_id")]
    assert service.stats().identifiers == 0


def test_skip_invalid_ingests_the_rest_and_reports(
    tmp_path: Path, service: IdentityService
) -> None:
    bad = CRM + "C3,not-an-email,,X,Y,,,,,\n"
    report = ingest_crm(service, write(tmp_path, "crm.csv", bad), skip_invalid=True)
    assert report.summary.invalid_skipped == 1 and report.summary.records == 2
    assert [(e.position, e.field) for e in report.errors] == [(4, "email")]


def test_explicit_mapping_file(tmp_path: Path, service: IdentityService) -> None:
    mapping = write(
        tmp_path,
        "m.yaml",
        "source: shop\nid_column: Kundennummer\nid_type: customer_id\n"
        "identifiers: {Mail: email}\nattributes: {Vorname: given_name}\n",
    )
    data = write(tmp_path, "k.csv", "Kundennummer,Mail,Vorname\nK1,k@x.de,Klara\n")
    m = records_mapping(data, "shop", mapping, service.normalizer.types)
    service.ingest_stream(read_items(data), service.record_parser(m))
    p = service.person_by_identifier("email", "k@x.de")
    assert p.attributes == {"given_name": "Klara", "email": "k@x.de"}


def test_bad_mapping_files_are_clear_errors(tmp_path: Path, service: IdentityService) -> None:
    with pytest.raises(ConfigError, match="id_type"):
        RecordMapping.load(write(tmp_path, "m.yaml", "source: x\nid_column: a\n"))
    with pytest.raises(ConfigError, match="record ID"):
        records_mapping(
            write(tmp_path, "x.csv", "name,city\nA,B\n"), "x", None, service.normalizer.types
        )


CONSENT_CRM = """crm_id,email,Consent Email Marketing,consent_ad_personalization,updated_at
C1,anna@example.com,Yes,0,2025-01-01T10:00:00Z
C2,bob@example.com,,TRUE,2025-01-02T10:00:00Z
"""


def test_consent_columns_are_inferred_and_hang_off_the_records_own_identifier(
    tmp_path: Path, service: IdentityService
) -> None:
    path = write(tmp_path, "crm.csv", CONSENT_CRM)
    m = records_mapping(path, "crm", None, service.normalizer.types)
    assert m.consent == {
        "Consent Email Marketing": "email_marketing",
        "consent_ad_personalization": "ad_personalization",
    }
    assert "Consent Email Marketing" not in m.attributes
    ingest_crm(service, path)
    with service.store.reader() as r:
        got = r.consent(["crm_id:C1", "crm_id:C2", "email:anna@example.com"])
    assert [(c.identifier, c.purpose, c.granted, c.source) for c in got] == [
        ("crm_id:C1", "ad_personalization", False, "crm"),
        ("crm_id:C1", "email_marketing", True, "crm"),
        ("crm_id:C2", "ad_personalization", True, "crm"),
    ]
    assert got[0].at is not None and got[0].at.isoformat().startswith("2025-01-01T10:00")


def test_a_bad_consent_value_names_its_column(tmp_path: Path, service: IdentityService) -> None:
    bad = CONSENT_CRM + "C3,c@x.org,maybe,,2025-01-03T10:00:00Z\n"
    with pytest.raises(StreamRejected) as info:
        ingest_crm(service, write(tmp_path, "crm.csv", bad))
    assert [(e.position, e.field, e.reason) for e in info.value.errors] == [
        (4, "Consent Email Marketing", "must be true or false (yes/no, y/n, 1/0)")
    ]


# -- hostile input: valid dates, bounded times and texts --------------------------------


def _parse(row: dict[str, object], lenient: bool = False) -> ParseResult:
    s = Settings()
    mapping = RecordMapping.infer(list(row), "crm", Normalizer(s).types)
    return RecordParser(mapping, Normalizer(s), lenient=lenient, settings=s).parse(row, 7)


@pytest.mark.parametrize(
    ("fields", "column", "reason"),
    [
        # Once stored as it came.
        ({"birth_date": "1980-13-45"}, "birth_date", "not a valid date"),
        ({"birth_date": "19810229"}, "birth_date", "not a valid date"),
        ({"birth_date": "03/04/1980"}, "birth_date", "ambiguous"),
        ({"updated_at": "9999-01-01T00:00:00Z"}, "updated_at", "in the future"),
        ({"updated_at": "1900-01-01"}, "updated_at", "before 1970"),
        ({"address": "x" * 5000}, "address", "longer than 4096"),
        ({"first_name": "An\x00na"}, "first_name", "control characters"),
        ({"first_name": "An\ud800na"}, "first_name", "not valid Unicode"),
    ],
)
def test_bad_record_values_name_their_column_never_the_value(
    fields: dict[str, object], column: str, reason: str
) -> None:
    row = {"crm_id": "C1", "first_name": "Anna", **fields}
    result = _parse(row)
    assert result.observation is None
    assert [(e.position, e.field) for e in result.errors] == [(7, column)]
    assert reason in result.errors[0].reason
    assert str(fields[column]) not in result.errors[0].reason


def test_lenient_records_drop_a_bad_attribute_and_keep_the_rest() -> None:
    result = _parse(
        {"crm_id": "C1", "birth_date": "1980-13-45", "first_name": "Anna"}, lenient=True
    )
    assert result.observation is not None and result.observation.record is not None
    assert '"given_name": "Anna"' in result.observation.record[3]
    assert "date_of_birth" not in result.observation.record[3]
    assert [(e.field, e.reason) for e in result.dropped] == [
        ("birth_date", "not a valid date (expected YYYY-MM-DD or YYYYMMDD) (field dropped)")
    ]


def test_addresses_may_span_lines_and_dates_take_the_configured_order() -> None:
    s = Settings(date_order="dmy")
    row = {"crm_id": "C1", "address": "1 Main St\nFlat 2", "birth_date": "03/04/1980"}
    mapping = RecordMapping.infer(list(row), "crm", Normalizer(s).types)
    result = RecordParser(mapping, Normalizer(s), settings=s).parse(row, 0)
    assert result.errors == []
