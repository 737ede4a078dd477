"""Recording the audit trail, and what its actions and subjects are called in plain words."""

from ..extensions import db
from ..models import AuditEvent
from ..models.statuses import Actor

# Every action the app records, in the words the Audit screen and its export use. Details never hold an identifier
# or an RFID tag in clear (personal data): a masked form at most.
ACTIONS = {
    "admin.signed_in": "Signed in",
    "admin.sign_in_failed": "Sign-in failed",
    "admin.signed_out": "Signed out",
    "admin.created": "Admin added",
    "admin.disabled": "Admin disabled",
    "admin.enabled": "Admin enabled",
    "admin.role_changed": "Admin role changed",
    "admin.password_reset": "Admin password reset",
    "admin.password_changed": "Password changed",
    "admin.sessions_ended": "Signed out everywhere",
    "user.created": "User added",
    "user.updated": "User edited",
    "user.blocked": "User blocked",
    "user.active": "User unblocked",
    "user.tag_added": "RFID tag added",
    "user.tag_removed": "RFID tag removed",
    "vehicle.added": "Vehicle added",
    "vehicle.updated": "Plate corrected",
    "vehicle.retired": "Vehicle retired",
    "vehicle.replaced": "Vehicle replaced",
    "pairing.started": "Pairing started",
    "pairing.retried": "Pairing retried",
    "pairing.completed": "Pairing completed",
    "pairing.failed": "Pairing failed",
    "pairing.cancelled": "Pairing cancelled",
    "pairing.expired": "Pairing expired",
    "identifier.revealed": "Identifier revealed",
    "transaction.token_revealed": "Id token revealed",
    "transaction.ended_by_hand": "Session ended by hand",
    "transaction.closed_after_reboot": "Session closed: charger rebooted",
    "transaction.corrected_after_reboot": "Session corrected: the charger's late stop",
    "charger.added": "Charger added",
    "charger.accepted": "Charger accepted",
    "charger.rejected": "Charger rejected",
    "charger.pending": "Charger set to pending",
    "charger.password_set": "Charger password set",
    "charger.password_removed": "Charger password removed",
    "charger.autocharge": "Auto Charge support set",
    "charger.local_list_enabled": "Local authorization list turned on",
    "charger.local_list_disabled": "Local authorization list turned off",
    "charger.local_list_resync": "Local authorization list resync requested",
    "command.remote_start": "Remote start sent",
    "command.remote_stop": "Remote stop sent",
    "command.clear_cache": "Clear cache sent",
    "command.reset": "Reset sent",
    "command.unlock_connector": "Unlock sent",
    "command.trigger_message": "Trigger message sent",
    "command.get_configuration": "Configuration read sent",
    "command.change_configuration": "Configuration change sent",
    "command.get_variables": "Variables read sent",
    "command.set_variables": "Variable change sent",
    "command.get_base_report": "Device model report asked",
    "command.accepted": "Command accepted",
    "command.rejected": "Command rejected",
    "command.answered": "Command answered",
    "command.failed": "Command failed",
    "command.timed_out": "Command timed out",
    "command.offline": "Charger offline for command",
}
SUBJECT_TYPES = {
    "admin": "Admin",
    "user": "User",
    "vehicle": "Vehicle",
    "charger": "Charger",
    "transaction": "Transaction",
    "unknown": "Unknown identifier",
}


def action_label(action: str) -> str:
    """Say what an action code means ("pairing.completed" -> "Pairing completed"); unknown codes as they are."""
    return ACTIONS.get(action, action)


def record(
    action: str,
    subject_type: str,
    subject_id: int | None,
    *,
    admin_id: int | None = None,
    detail: str | None = None,
    actor: str = Actor.SYSTEM,
) -> AuditEvent:
    """Add an audit event to the current write transaction; `actor` says who acted when no admin did."""
    event = AuditEvent(
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        admin_id=admin_id,
        actor=Actor.ADMIN if admin_id else actor,
        detail=detail,
    )
    db.session.add(event)
    return event
