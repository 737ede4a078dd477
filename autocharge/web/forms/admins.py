"""The Admins and My account screens' forms: adding an admin, changing a role, changing one's own password."""

from . import PostForm, text


class AddAdminForm(PostForm):
    """Add an admin with a role, and the password typed or (left empty) a generated one."""

    email = text("Email")
    role = text("Role", default="operator")
    password = text("Password (optional)")


class RoleForm(PostForm):
    """Give another admin a role."""

    role = text()


class PasswordForm(PostForm):
    """Change one's own password: the current one, the new one twice."""

    current_password = text("Current password")
    new_password = text("New password")
    repeat_password = text("Repeat new password")
