"""The Users screen's forms: a user's name and email, an RFID tag, blocking."""

from . import PostForm, text


class UserForm(PostForm):
    """Add a user, or correct one's name and email."""

    name = text("Name")
    email = text("Email")


class TagForm(PostForm):
    """Give a user an RFID tag."""

    tag = text("Add an RFID tag")


class StatusForm(PostForm):
    """Block a user (status "blocked") or let them charge again ("active")."""

    status = text()
