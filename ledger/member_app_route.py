"""``POST /v1/member-app/token``: the member app fetches a fresh app token.

The caller is a member's app, authenticated by its member-app credential
(:mod:`ledger.member_app`), never by a terminal token: the terminals' dependency
(:mod:`ledger.auth`) is not used here, and a terminal's token is answered 401. The
answer is a fresh APP token of the credential's member (:mod:`ledger.qr_issuing`):

    {"token": "LTY1:...", "replay_id": "130.4711.5.1.1772449200.31337.M004242",
     "expires_at": 1772622000, "single_use": true}

``expires_at`` is Unix seconds. The optional JSON body ``{"single_use": false}`` asks
for a token that may identify the member more than once within its 48 hours.

401: no credential, a terminal's token, a credential unknown or revoked. 403: a
blocked or merged member, or one whose ids do not fit a token. 422: a body that is
not ``{"single_use": bool}``. 503: member QR tokens are not set up, or no app key
signs now. Issuing writes nothing, so the route reads one snapshot.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.concurrency import run_in_threadpool

from ledger.auth import database
from ledger.errors import Forbidden, Invalid, Unavailable, describe_validation
from ledger.member_app import authenticated_member
from ledger.qr_issuing import IssueRefused, issue_token
from ledger.qr_keys import NotSetUp
from loyalty.member_token import TokenUse
from sync.protocol import ErrorResponse

router = APIRouter()

member_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="MemberAppCredential",
    description="The member's app credential from `pos-ledger member-app issue` (lma_...).",
)


class MemberTokenRequest(BaseModel):
    """The optional body."""

    model_config = ConfigDict(extra="forbid", strict=True)
    single_use: bool = True


class MemberTokenResponse(BaseModel):
    token: str
    """The QR text (docs/MEMBER_QR.md)."""
    replay_id: str
    expires_at: int
    """Unix seconds."""
    single_use: bool


_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No credential, or one unknown or revoked"},
    403: {"model": ErrorResponse, "description": "A blocked or merged member"},
    422: {"model": ErrorResponse, "description": "A body other than {single_use: bool}"},
    503: {"model": ErrorResponse, "description": "No app key signs now"},
}


@router.post(
    "/v1/member-app/token",
    response_model=MemberTokenResponse,
    tags=["member app"],
    responses=_RESPONSES,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {"application/json": {"schema": MemberTokenRequest.model_json_schema()}},
        }
    },
)
async def member_app_token(
    request: Request,
    _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(member_bearer)],
) -> Response:
    """A fresh app token for the member whose credential made the request."""
    body = await request.body()

    def work() -> Response:
        with database(request).snapshot() as tx:
            member_id = authenticated_member(tx, request.headers.get("authorization"))
            options = _options(body)
            try:
                issued = issue_token(
                    tx, TokenUse.APP, member_id=member_id, single_use=options.single_use
                )
            except NotSetUp as exc:
                raise Unavailable(exc.reason) from None
            except IssueRefused as exc:
                raise Forbidden(exc.reason) from None
        answer = MemberTokenResponse(
            token=issued.text,
            replay_id=issued.replay_id,
            expires_at=issued.expires_at,
            single_use=issued.token.single_use,
        )
        return Response(
            content=answer.model_dump_json(),
            media_type="application/json",
            headers={"Cache-Control": "no-store"},
        )

    return await run_in_threadpool(work)


def _options(body: bytes) -> MemberTokenRequest:
    if not body.strip():
        return MemberTokenRequest()
    try:
        return MemberTokenRequest.model_validate_json(body)
    except ValidationError as exc:
        raise Invalid(describe_validation(list(exc.errors()))) from None
