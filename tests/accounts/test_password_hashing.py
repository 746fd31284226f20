from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, get_hasher, make_password
from django.test import override_settings

PRODUCTION_HASHERS = ["accounts.hashers.BankArgon2PasswordHasher", "django.contrib.auth.hashers.Argon2PasswordHasher"]


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_passwords_are_hashed_with_argon2id_at_the_owasp_minimum():
    encoded = make_password("Correct-Horse-42")
    assert encoded.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password("Correct-Horse-42", encoded)
    assert not check_password("wrong", encoded)


@override_settings(PASSWORD_HASHERS=PRODUCTION_HASHERS)
def test_hashes_with_djangos_default_parameters_still_verify_and_get_upgraded():
    old = Argon2PasswordHasher().encode("Correct-Horse-42", Argon2PasswordHasher().salt())
    upgraded = []
    assert check_password("Correct-Horse-42", old, setter=upgraded.append)
    assert upgraded == ["Correct-Horse-42"]  # Django re-hashes at the next login
    assert not get_hasher("default").must_update(make_password("x"))
