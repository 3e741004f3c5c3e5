"""The proposal document of a case: the tenant's name, the current quote's line items, total
and validity, as a PDF (fpdf2, built-in Helvetica). Helvetica covers Latin-1; characters
beyond it are shown as '?'."""

from __future__ import annotations

from application.cases.views import ProposalData
from domain.shared.money import Money


def _text(value: str) -> str:
    return value.encode("latin-1", "replace").decode("latin-1")


class FpdfProposalRenderer:
    def render(self, proposal: ProposalData) -> bytes:
        from fpdf import FPDF  # a third of a second to import: only when a PDF is asked for

        case, quote = proposal.case, proposal.quote

        def money(amount: int) -> str:
            return Money(amount, quote.currency).format()

        pdf = FPDF(format="A4")
        pdf.set_title(_text(f"Proposal - {case.title}"))
        pdf.set_author(_text(proposal.tenant_name))
        pdf.set_creator("Frontdesk")
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 18)
        pdf.cell(0, 10, _text(proposal.tenant_name), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(0, 7, _text(f"Proposal for: {case.title}"), new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 7, _text(f"Kind: {case.kind}    Case: {case.id}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.cell(0, 7, f"Quote revision {quote.revision}, issued "
                       f"{quote.issued_at.date().isoformat()}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
        widths = (95, 20, 35, 35)
        pdf.set_font("Helvetica", "B", 10)
        for width, title, align in zip(widths, ("Description", "Qty", "Unit price", "Amount"),
                                       ("L", "R", "R", "R"), strict=True):
            pdf.cell(width, 8, title, border="B", align=align)
        pdf.ln()
        pdf.set_font("Helvetica", "", 10)
        for item in quote.line_items:
            cells = (_text(str(item["description"]))[:60], str(item["quantity"]),
                     money(int(item["unit_amount"])), money(int(item["amount"])))
            for width, value, align in zip(widths, cells, ("L", "R", "R", "R"), strict=True):
                pdf.cell(width, 7, value, align=align)
            pdf.ln()
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(sum(widths[:3]), 9, "Total", border="T", align="R")
        pdf.cell(widths[3], 9, money(quote.total), border="T", align="R")
        pdf.ln(12)
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(0, 6, f"Valid until {quote.valid_until.isoformat()}",
                 new_x="LMARGIN", new_y="NEXT")
        if quote.accepted_at is not None:
            pdf.cell(0, 6, f"Accepted on {quote.accepted_at.date().isoformat()}",
                     new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())
