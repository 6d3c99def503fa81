"""/api/v1/incidents/{id}/actions: corrective actions with owners and due dates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from warroom.api.deps import ActingContext, JsonContext
from warroom.api.routes import API_PREFIX
from warroom.api.routes.reports import Number
from warroom.domain.errors import InvalidInput, Problem
from warroom.domain.incident import CorrectiveAction
from warroom.schemas.incidents import ActionPublic, ActionsPublic
from warroom.schemas.requests import ActionCreate, ActionUpdate
from warroom.services import incidents as service

router = APIRouter(prefix=API_PREFIX + "/incidents/{incident_id}/actions", tags=["actions"])


def _public(action: CorrectiveAction) -> ActionPublic:
    return ActionPublic(
        number=action.number,
        title=action.title,
        owner=action.owner,
        due=action.due,
        status=action.status.value,
        link=action.link,
        audience=action.audience.value,
    )


@router.get("", response_model=ActionsPublic, summary="An incident's corrective actions")
def list_actions(ctx: ActingContext, incident_id: str) -> ActionsPublic:
    actions = [_public(a) for a in service.get_incident(ctx, incident_id).actions]
    return ActionsPublic(data=actions, count=len(actions))


@router.post("", response_model=ActionPublic, status_code=201, summary="Add a corrective action")
def add_action(ctx: JsonContext, incident_id: str, body: ActionCreate) -> ActionPublic:
    return _public(
        service.add_action(
            ctx,
            incident_id,
            title=body.title,
            owner=body.owner,
            due=body.due,
            status=body.status,
            link=body.link,
            audience=body.audience,
        )
    )


@router.patch("/{number}", response_model=ActionPublic, summary="Change a corrective action")
def update_action(
    ctx: JsonContext, incident_id: str, number: Number, body: ActionUpdate
) -> ActionPublic:
    changes: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    for name in ("title", "status", "audience"):  # these cannot be cleared
        if name in changes and changes[name] is None:
            del changes[name]
    if not changes:
        raise InvalidInput(
            [
                Problem(
                    "",
                    "nothing_to_do",
                    "give at least one field to change: title, owner, due, status, link, audience",
                )
            ]
        )
    return _public(service.update_action(ctx, incident_id, number, **changes))
