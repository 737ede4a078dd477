"""The login form."""

from . import PostForm, stripped, text


class LoginForm(PostForm):
    """Log in with email and password (a refusal never says which of the two was wrong: it is the form's)."""

    email = text("Email", filters=[stripped])
    password = text("Password")
