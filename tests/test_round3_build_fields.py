"""Round 3 (M2): outputs, provenance and sbom attributes are one CSV record, read as
buildx reads it (Go's encoding/csv): a quoted field may hold commas."""

from __future__ import annotations

import pytest

from ghbuild.build import check_attestation, check_output, read_csv_record
from ghbuild.errors import InputError

TESTER = ('type=image,"name=127.0.0.1:5000/scratch/t3-v:a,127.0.0.1:5000/scratch/t3-v:b",'
          'push=true')


def test_the_testers_line_is_accepted():
    check_output(1, TESTER)
    assert read_csv_record("outputs", TESTER) == [
        "type=image", "name=127.0.0.1:5000/scratch/t3-v:a,127.0.0.1:5000/scratch/t3-v:b",
        "push=true"]


@pytest.mark.parametrize(("value", "fields"), [
    ("type=registry", ["type=registry"]),
    ("type=local,dest=out", ["type=local", "dest=out"]),
    ("type=image,name=x/y,push=false", ["type=image", "name=x/y", "push=false"]),
    ('"type=local",dest=out', ["type=local", "dest=out"]),
    ('type=local,"dest=a ""b"""', ["type=local", 'dest=a "b"']),
    ("mode=min,", ["mode=min", ""]),
    ("a,,b", ["a", "", "b"]),
])
def test_fields_as_go_reads_them(value, fields):
    assert read_csv_record("outputs", value) == fields


@pytest.mark.parametrize("value", ["type=registry", "type=local,dest=out", "out/dir", "-",
                                   "type=oci,dest=img.tar", "type=cacheonly",
                                   "type=image,name=x/y,push=false", "type=docker",
                                   "dest=out", "type=tar", "TYPE=local,dest=o",
                                   'type=local,"dest=a,b"'])
def test_outputs_buildx_takes_still_pass(value):
    check_output(1, value)


@pytest.mark.parametrize(("value", "message"), [
    ('type=image,name="a:1,a:2"', "input 'outputs': bare \" in the unquoted field "
                                  "'name=\"a:1'"),
    ('type=image,"name=a:1,a:2', "input 'outputs': a quoted field of"),
    ('type=image,"name=a:1"x,push=true', "input 'outputs': extraneous or missing \""),
    ('type=image, "name=a"', "input 'outputs': bare \""),   # Go does not trim before a quote
])
def test_a_malformed_quote_is_refused_naming_the_input(value, message):
    with pytest.raises(InputError) as got:
        check_output(1, value)
    assert message in str(got.value)


def test_a_quoted_field_still_needs_its_equals():
    with pytest.raises(InputError, match=r"'a,b' in .* is not key=value"):
        check_output(1, 'type=local,"a,b"')


def test_attestation_attributes_are_a_csv_record_too():
    check_attestation("provenance", '"mode=max",version=v1')
    check_attestation("sbom", '"generator=docker/buildkit-syft-scanner:1,x"')
    with pytest.raises(InputError, match=r"input 'provenance': .*quoted field"):
        check_attestation("provenance", '"mode=max')
    with pytest.raises(InputError, match=r"mode='maxx' is not one of min, max"):
        check_attestation("provenance", '"mode=maxx"')
