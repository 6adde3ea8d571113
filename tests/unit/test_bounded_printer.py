"""errors.brief / errors.bounded: the one printer for values quoted in errors."""

import time

from shim.errors import ApiError, bounded, brief, render


def test_brief_reads_no_more_of_a_value_than_it_prints():
    shared = ["x"] * 10
    for _ in range(30):  # 10^31 values once walked: what a YAML alias bomb builds
        shared = [shared] * 10
    started = time.process_time()
    shown = brief({"annotations": shared})
    assert time.process_time() - started < 0.1
    assert shown.startswith('{"annotations":[[[[') and shown.endswith("...") and len(shown) == 80


def test_brief_quotes_short_values_whole_and_escapes_strings():
    assert brief("admin\n") == '"admin\\n"'
    assert brief({"a": [1, True, None]}) == '{"a":[1,true,null]}'
    assert brief("é" * 10) == '"' + "é" * 10 + '"'
    assert brief("x" * 10_000) == '"' + "x" * 77 + '..."'


def test_bounded_keeps_short_values_and_cuts_long_ones():
    assert bounded({"a": 1}) == {"a": 1} and bounded(5) == 5 and bounded("ok") == "ok"
    cut = bounded("y" * 5000)
    assert isinstance(cut, str) and cut.endswith('..."') and len(cut) <= 322


def test_every_face_renders_details_bounded():
    err = ApiError(422, "InvalidBodyContent", "m", [{"field": "f", "value": ["v" * 9000]}])
    for face in ("v3", "terraform", "kube"):
        body = render(face, err)
        assert len(repr(body)) < 1500, face
