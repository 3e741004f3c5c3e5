"""Per-tenant retention policies and the reports of their runs (ADR 0086), for admins."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from litestar import Controller, get, put
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from application.privacy import RetentionPolicies, RetentionPolicy, RetentionReport
from application.privacy.retention import MAX_BODY_MONTHS, MAX_MONTHS
from application.privacy.retention import RetentionReports as Reports
from domain.shared import NotFound
from entrypoints.http.deps import Cursor, Id, Limit, Provided, Reads, Req
from entrypoints.http.schemas import In
from entrypoints.http.security import ADMINS, roles

Policies = Provided[RetentionPolicies]
ReportStore = Provided[Reports]

ERASE = ("Erase (crypto-shredding, as `DELETE /v1/contacts/{id}`) every contact with no "
         "activity for this many months: no change to the contact, its leads, conversations "
         "(messages) or cases since then. `null` keeps contacts for ever (the default).")
BODIES = ("Delete conversations' message bodies (and attachments' addresses) this many months "
          f"(1-{MAX_BODY_MONTHS}) after they were written: the message stays with its time, "
          "channel, direction and author, its body reads `[erased]` in the thread, the "
          "export, the assistant's memory and any rebuild (its key is destroyed; the event "
          "log is not rewritten). Reaches the bodies written since this was built (ADR "
          "0086); older bodies go only with their contact (erasure). `null` keeps bodies for "
          "ever (the default).")


class RetentionPolicyIn(In):
    erase_inactive_contacts_months: int | None = Field(
        default=None, ge=1, le=MAX_MONTHS, description=ERASE, examples=[24])
    delete_message_bodies_months: int | None = Field(
        default=None, ge=1, le=MAX_BODY_MONTHS, description=BODIES, examples=[12])


class RetentionPolicyOut(BaseModel):
    erase_inactive_contacts_months: int | None = Field(description=ERASE, examples=[24])
    delete_message_bodies_months: int | None = Field(description=BODIES, examples=[12])

    @classmethod
    def of(cls, policy: RetentionPolicy) -> RetentionPolicyOut:
        return cls(erase_inactive_contacts_months=policy.erase_inactive_contacts_months,
                   delete_message_bodies_months=policy.delete_message_bodies_months)


class ContactDoneOut(BaseModel):
    contact_id: UUID
    last_activity_at: datetime
    outcome: str = Field(description="`erased`, `already_erased`, `would_erase` (dry run) or "
                                     "`failed: <reason>`", examples=["erased"])


class BodiesDoneOut(BaseModel):
    conversation_id: UUID
    bodies: int = Field(description="Message bodies deleted (in a dry run: to be deleted)")
    outcome: str = Field(description="`deleted`, `would_delete` (dry run) or "
                                     "`failed: <reason>`", examples=["deleted"])


class RetentionReportOut(BaseModel):
    id: UUID
    ran_at: datetime = Field(description="The moment the run applied the policy at")
    dry_run: bool = Field(description="True: found and reported, nothing changed")
    triggered_by: str = Field(description="`worker`, or `cli:<login>` for `frontdesk "
                                          "retention run`", examples=["worker"])
    policy: RetentionPolicyOut
    inactive_before: datetime | None = Field(
        description="Contacts whose last activity is before this were erased (null: the "
                    "policy keeps contacts)")
    contacts_erased: int = Field(description="Erased (or, in a dry run, to be erased)")
    failures: int
    contacts: list[ContactDoneOut]
    bodies_before: datetime | None = Field(
        description="Message bodies written before this were deleted (null: the policy keeps "
                    "bodies)")
    message_bodies_deleted: int = Field(
        description="Message bodies deleted (or, in a dry run, to be deleted)")
    conversations: list[BodiesDoneOut]

    @classmethod
    def of(cls, report: RetentionReport) -> RetentionReportOut:
        return cls(id=report.id, ran_at=report.ran_at, dry_run=report.dry_run,
                   triggered_by=report.triggered_by, policy=RetentionPolicyOut.of(report.policy),
                   inactive_before=report.inactive_before,
                   contacts_erased=report.contacts_erased, failures=report.failures,
                   contacts=[ContactDoneOut(contact_id=c.contact_id,
                                            last_activity_at=c.last_activity_at,
                                            outcome=c.outcome) for c in report.contacts],
                   bodies_before=report.bodies_before,
                   message_bodies_deleted=report.message_bodies_deleted,
                   conversations=[BodiesDoneOut(conversation_id=c.conversation_id,
                                                bodies=c.bodies, outcome=c.outcome)
                                  for c in report.conversations])


class RetentionReportPage(BaseModel):
    items: list[RetentionReportOut]
    next_cursor: str | None


class RetentionController(Controller):
    path = "/v1/retention"
    tags = ["privacy"]
    opt = roles(*ADMINS)

    @get("/policy", sync_to_thread=True, summary="The tenant's retention policy",
         description="`null` keeps for ever; the default keeps everything.")
    def policy(self, request: Req, retention_policies: Policies) -> RetentionPolicyOut:
        return RetentionPolicyOut.of(retention_policies.get(request.user.tenant_id))

    @put("/policy", sync_to_thread=True, summary="Set the tenant's retention policy",
         description="Applied by the worker every `FRONTDESK_RETENTION_INTERVAL` seconds (and "
                     "by `frontdesk retention run`); each run leaves a report "
                     "(`GET /v1/retention/reports`). Erasure is the same crypto-shredding as "
                     "`DELETE /v1/contacts/{id}`: the event log stays intact. Audited "
                     "(`retention_policy.changed`, with the values, the IP and the user "
                     "agent). A value out of range is a 422 and changes nothing.")
    def set_policy(self, request: Req, data: JSONBody[RetentionPolicyIn],
                   retention_policies: Policies, reads: Reads) -> RetentionPolicyOut:
        policy = RetentionPolicy(
            erase_inactive_contacts_months=data.erase_inactive_contacts_months,
            delete_message_bodies_months=data.delete_message_bodies_months)
        retention_policies.save(request.user.tenant_id, policy)
        reads.audit(request, "retention_policy.changed", "retention_policy",
                    request.user.tenant_id, detail=data.model_dump())
        return RetentionPolicyOut.of(policy)

    @get("/reports", sync_to_thread=True, summary="Reports of retention runs",
         description="Newest first: per run, what the policy erased (contact ids, their last "
                     "activity, the outcome), the conversations whose message bodies it "
                     "deleted (ids and counts) and the counts; dry runs too.")
    def reports(self, request: Req, retention_reports: ReportStore, limit: Limit = 50,
                cursor: Cursor = None) -> RetentionReportPage:
        page = retention_reports.page(request.user.tenant_id, limit=limit, cursor=cursor)
        return RetentionReportPage(items=[RetentionReportOut.of(r) for r in page.items],
                                   next_cursor=page.next_cursor)

    @get("/reports/{report_id:uuid}", sync_to_thread=True, summary="One retention report")
    def report(self, request: Req, report_id: Id,
               retention_reports: ReportStore) -> RetentionReportOut:
        found = retention_reports.get(request.user.tenant_id, report_id)
        if found is None:
            raise NotFound("retention report not found")
        return RetentionReportOut.of(found)
