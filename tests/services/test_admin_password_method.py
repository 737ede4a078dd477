"""Admin password hashes: scrypt unless AUTOCHARGE_PASSWORD_METHOD says otherwise (the tests' cheap one)."""

from autocharge.config import DEFAULTS
from autocharge.services import admins


def test_admins_get_scrypt_hashes_by_default():
    assert DEFAULTS["AUTOCHARGE_PASSWORD_METHOD"] == "scrypt"


def test_the_configured_method_hashes_and_the_stored_method_checks(app):
    app.config["AUTOCHARGE_PASSWORD_METHOD"] = "scrypt"
    strong = admins.create_admin("strong@example.com", "correct horse battery")
    app.config["AUTOCHARGE_PASSWORD_METHOD"] = "pbkdf2:sha256:1000"
    cheap = admins.create_admin("cheap@example.com", "correct horse battery")
    assert strong.password_hash.startswith("scrypt:32768:8:1$")
    assert cheap.password_hash.startswith("pbkdf2:sha256:1000$")
    for admin in (strong, cheap):  # each hash is checked by the method it names, whatever the setting is now
        assert admins.authenticate(admin.email, "correct horse battery", "192.0.2.1").id == admin.id
