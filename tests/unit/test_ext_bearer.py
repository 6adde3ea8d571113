"""How a credential splits into token id and secret (ext ids hold their owner)."""

import pytest

from shim.core.ext_tokens import split_bearer


@pytest.mark.parametrize("credential, split", [
    ("token-abcde:s3cret", ("token-abcde", "s3cret", False)),
    ("token-abcde:s3cret:extra", ("token-abcde", "s3cret:extra", False)),  # a wrong secret
    ("ext/user-x2b4c:ci:s3cret", ("user-x2b4c:ci", "s3cret", True)),
    ("ext/user-x2b4c:ci:s3cret:extra", ("user-x2b4c:ci", "s3cret:extra", True)),
    ("ext/old-ci:s3cret", ("old-ci", "s3cret", True)),  # made before names were per user
    ("ext/old-ci", ("old-ci", "", True)),
    ("", ("", "", False)),
])
def test_the_id_ends_at_the_first_colon_or_for_ext_after_the_owner(credential, split):
    assert split_bearer(credential) == split
