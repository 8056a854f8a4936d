"""The .msg writer produces compound files that olefile and extract_msg read back exactly."""
from __future__ import annotations

import random
import struct

import extract_msg
import olefile
import pytest

from pipeline.ingest.emails import parse_msg
from pipeline.synth.msg_writer import build_compound_file, write_msg

STRICT = {"raise_defects": olefile.DEFECT_INCORRECT}


def _random_bytes(n: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(n)


def test_compound_file_round_trip_small_large_and_empty_streams():
    tree = {
        "petit": b"abc",
        "vide": b"",
        "moyen": _random_bytes(4095, 1),  # just under the mini-stream cutoff
        "grand": _random_bytes(4096, 2),  # first size stored in regular sectors
        "Dossier": {"interne": _random_bytes(70_000, 3), "Sous": {"feuille": b"x" * 65}},
    }
    ole = olefile.OleFileIO(build_compound_file(tree), **STRICT)
    assert sorted("/".join(p) for p in ole.listdir()) == sorted(
        ["petit", "vide", "moyen", "grand", "Dossier/interne", "Dossier/Sous/feuille"])
    for path, expected in [("petit", b"abc"), ("vide", b""), ("moyen", tree["moyen"]), ("grand", tree["grand"]),
                           ("Dossier/interne", tree["Dossier"]["interne"]), ("Dossier/Sous/feuille", b"x" * 65)]:
        assert ole.openstream(path).read() == expected, path
    assert ole.get_type("Dossier") == olefile.STGTY_STORAGE


def test_compound_file_needing_difat_sectors():
    # more than 109 FAT sectors (about 7 MB) forces DIFAT sectors after the header
    payload = _random_bytes(8_000_000, 4)
    data = build_compound_file({"donnees": payload})
    assert struct.unpack_from("<I", data, 0x48)[0] >= 1  # number of DIFAT sectors in the header
    assert olefile.OleFileIO(data, **STRICT).openstream("donnees").read() == payload


def test_entry_names_longer_than_31_characters_are_refused():
    with pytest.raises(ValueError, match="too long"):
        build_compound_file({"x" * 32: b""})


@pytest.fixture()
def msg_bytes() -> bytes:
    return write_msg(
        None, subject="Consultation : données de mobilité", sender_name="Claire Petit",
        sender_email="c.petit@cc-val-de-sevre.fr",
        to=["Mission Data <consultation@numerique.gouv.fr>", "copie@cc-val-de-sevre.fr"],
        date_iso="2023-04-04T09:30:00", body="La communauté de communes du Val de Sèvre contribue.\n",
        attachments=[("annexe mobilité.pdf", b"%PDF-1.4 annexe"), ("grand.csv", b"a;b\n" * 3000)],
    )


def test_msg_streams_follow_ms_oxmsg(msg_bytes):
    ole = olefile.OleFileIO(msg_bytes, **STRICT)
    assert ole.root.clsid == "00020D0B-0000-0000-C000-000000000046"
    assert ole.openstream("__substg1.0_0037001F").read().decode("utf-16-le") == "Consultation : données de mobilité"
    assert ole.openstream("__substg1.0_0C1F001F").read().decode("utf-16-le") == "c.petit@cc-val-de-sevre.fr"
    header = ole.openstream("__properties_version1.0").read()[:32]
    assert struct.unpack_from("<IIII", header, 8) == (2, 2, 2, 2)  # next ids and counts of recipients/attachments
    assert ole.exists("__recip_version1.0_#00000001/__substg1.0_3003001F")
    assert ole.openstream("__attach_version1.0_#00000001/__substg1.0_37010102").read() == b"a;b\n" * 3000


def test_extract_msg_reads_what_was_written(msg_bytes, tmp_path):
    path = tmp_path / "contribution.msg"
    assert write_msg(path, subject="s", sender_name="n", sender_email="n@ville-x.fr", to="a@b.fr",
                     date_iso="2023-01-01T00:00:00", body="b") == path.read_bytes()
    msg = extract_msg.openMsg(msg_bytes)
    try:
        assert msg.subject == "Consultation : données de mobilité"
        assert msg.sender == "Claire Petit <c.petit@cc-val-de-sevre.fr>"
        assert msg.body.strip() == "La communauté de communes du Val de Sèvre contribue."
        assert msg.date.isoformat() == "2023-04-04T09:30:00+00:00"
        assert [(a.longFilename, a.data) for a in msg.attachments] == [
            ("annexe mobilité.pdf", b"%PDF-1.4 annexe"), ("grand.csv", b"a;b\n" * 3000)]
    finally:
        msg.close()


def test_writer_is_deterministic_and_parse_msg_round_trips(msg_bytes):
    again = write_msg(
        None, subject="Consultation : données de mobilité", sender_name="Claire Petit",
        sender_email="c.petit@cc-val-de-sevre.fr",
        to=["Mission Data <consultation@numerique.gouv.fr>", "copie@cc-val-de-sevre.fr"],
        date_iso="2023-04-04T09:30:00", body="La communauté de communes du Val de Sèvre contribue.\n",
        attachments=[("annexe mobilité.pdf", b"%PDF-1.4 annexe"), ("grand.csv", b"a;b\n" * 3000)],
    )
    assert again == msg_bytes
    parsed = parse_msg(msg_bytes)
    assert parsed.body == "La communauté de communes du Val de Sèvre contribue."
    assert parsed.sender_email == "c.petit@cc-val-de-sevre.fr"
    assert [a.filename for a in parsed.attachments] == ["annexe mobilité.pdf", "grand.csv"]


def test_embedded_message_round_trips_as_a_msg_attachment():
    inner = dict(subject="Note du président", sender_name="Jean Morel", sender_email="president@siaep-haut-orme.fr",
                 to="secretariat@siaep-haut-orme.fr", date_iso="2023-05-15T09:00:00+02:00",
                 body="Notre syndicat distribue l'eau potable à 14 communes.\n",
                 attachments=[("note.pdf", b"%PDF-1.4 note")])
    data = write_msg(None, subject="TR: Note", sender_name="Sophie Garnier",
                     sender_email="secretariat@siaep-haut-orme.fr", to="mission@exemple.gouv.fr",
                     date_iso="2023-05-15T14:48:00+02:00", body="Je vous transfère la note.\n",
                     attachments=[("Note du président", inner), ("a.txt", b"abc")])
    ole = olefile.OleFileIO(data, **STRICT)
    assert ole.exists("__attach_version1.0_#00000000/__substg1.0_3701000D/__substg1.0_0037001F")
    parsed = parse_msg(data)
    assert parsed.problems == []
    assert [(a.filename, a.content_type) for a in parsed.attachments] == [
        ("Note du président.msg", "application/vnd.ms-outlook"), ("a.txt", "text/plain")]
    nested = parse_msg(parsed.attachments[0].data)
    assert (nested.subject, nested.sender_email) == ("Note du président", "president@siaep-haut-orme.fr")
    assert nested.body == "Notre syndicat distribue l'eau potable à 14 communes."
    assert [(a.filename, a.data) for a in nested.attachments] == [("note.pdf", b"%PDF-1.4 note")]
