"""Residents' identification: an OpenID Connect relying party (:mod:`.oidc`) and a local
test identity provider (:mod:`.test_idp`) for the demo and the tests."""
