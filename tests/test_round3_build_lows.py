"""Round 3 LOWs: add-hosts with an IPv6 zone is refused as buildx refuses it; a ulimit
with a + sign is taken as docker's parser (Go strconv.ParseInt) takes it."""

from __future__ import annotations

import pytest

from ghbuild.build import check_add_host, check_ulimit
from ghbuild.errors import InputError


@pytest.mark.parametrize("value", ["v6host=fe80::1%eth0", "v6host:fe80::1%eth0",
                                   "v6host=[fe80::1%eth0]", "h=fe80::1%25eth0"])
def test_an_ipv6_zone_is_refused(value):
    with pytest.raises(InputError, match=r"input 'add-hosts': .*IPv6 zone"):
        check_add_host(value)


@pytest.mark.parametrize("value", ["v6host=fe80::1", "v6host=[::1]", "db:10.0.0.5",
                                   "gw=host-gateway"])
def test_addresses_without_a_zone_pass(value):
    check_add_host(value)


@pytest.mark.parametrize("value", ["nofile=+5", "nofile=+1024:+2048", "nofile=-1",
                                   "nofile=1024:+2048", "nproc=9223372036854775807"])
def test_a_signed_limit_is_taken(value):
    check_ulimit(1, value)


@pytest.mark.parametrize("value", ["nofile=++5", "nofile=+", "nofile=5+",
                                   "nofile=9223372036854775808", "nofile=+2048:+1024"])
def test_malformed_or_out_of_range_limits_are_refused(value):
    with pytest.raises(InputError, match=r"input 'ulimit' line 1: "):
        check_ulimit(1, value)
