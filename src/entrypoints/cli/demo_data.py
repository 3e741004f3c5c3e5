"""What ``frontdesk demo`` seeds: a dental clinic's people, prices, knowledge, queues and the
words its customers write. Data only; ``entrypoints.cli.demo`` plays it through the bus."""

from __future__ import annotations

TENANT_NAME = "Bright Smile Clinic (demo)"
DAYS = 21
SEED = 20261206
CURRENCY = "EUR"

FIRST_NAMES = ["Ana", "Luis", "Marta", "Jorge", "Lucia", "Pablo", "Elena", "Diego", "Sofia",
               "Carlos", "Irene", "Hugo", "Nuria", "Raul", "Clara", "Ivan", "Paula", "Oscar",
               "Laura", "Mario", "Eva", "Adrian", "Sara", "Tomas", "Alba", "Victor"]
LAST_NAMES = ["Ruiz", "Garcia", "Lopez", "Martin", "Sanchez", "Perez", "Gomez", "Diaz",
              "Moreno", "Alonso", "Navarro", "Torres", "Romero", "Vega", "Castro", "Ortiz"]

# source: (weight, campaigns, lead channel)
SOURCES: dict[str, tuple[int, list[str | None], str]] = {
    "web_form": (30, ["spring-whitening", "invisalign-open-day", None], "web"),
    "google_ads": (22, ["implants-search", "emergency-dentist"], "web"),
    "facebook": (15, ["whitening-reels", "family-checkup"], "web"),
    "referral": (13, [None, "friends-and-family"], "phone"),
    "walk_in": (8, [None], "in_person"),
    "phone": (12, [None, "radio-spot"], "phone"),
}

# treatment: (case title, line items [(description, quantity, unit amount in cents)])
TREATMENTS: dict[str, tuple[str, list[tuple[str, int, int]]]] = {
    "whitening": ("Teeth whitening", [("In-office whitening session", 1, 35000),
                                      ("Take-home trays", 1, 9000)]),
    "invisalign": ("Invisalign clear aligners", [("Aligner treatment", 1, 320000),
                                                 ("Retainers", 1, 25000)]),
    "implant": ("Single implant", [("Implant and abutment", 1, 120000),
                                   ("Porcelain crown", 1, 65000), ("CT scan", 1, 9000)]),
    "checkup": ("Check-up and hygiene", [("Examination", 1, 6000),
                                         ("Scale and polish", 1, 7000)]),
    "veneers": ("Porcelain veneers", [("Veneer", 4, 55000), ("Mock-up", 1, 15000)]),
}

LOSS_REASONS = ["price", "chose another clinic", "no answer after three calls",
                "treatment not suitable", "moved away"]
NOTES = ["Asked about prices and financing", "Wants an appointment next week",
         "Nervous patient, prefers mornings", "Referred by an existing patient",
         "Interested in the open day", "Has an old crown that hurts"]

# What customers write, by topic: (first message, follow-up)
TOPICS: dict[str, tuple[str, str]] = {
    "hours": ("Hi, what are your opening hours on Saturday?",
              "And do you have parking nearby?"),
    "whitening": ("How much does teeth whitening cost?",
                  "Is whitening safe for sensitive teeth?"),
    "invisalign": ("Do you offer Invisalign and how long does it take?",
                   "Can I pay for the aligners in instalments?"),
    "emergency": ("I have a bad toothache, can someone see me today?",
                  "It is getting worse, can I talk to a person please?"),
    "implant": ("I lost a tooth, what are my options for an implant?",
                "How many visits does an implant need?"),
    "billing": ("I was charged twice for my last visit",
                "I want to speak to someone about a refund"),
}
HANDOFF_TOPICS = frozenset({"emergency", "billing"})
AGENT_REPLIES = ["Thanks for waiting, I can help you with that right away.",
                 "I have booked you in for tomorrow at 10:00, see you then.",
                 "I have checked your account and sorted it out, sorry for the trouble."]

KNOWLEDGE: list[tuple[str, str]] = [
    ("Opening hours and location",
     "Bright Smile Clinic is open Monday to Friday from 08:00 to 20:00 and on Saturday from "
     "09:00 to 14:00. We are closed on Sunday. The clinic is at Calle Mayor 12, Madrid, next "
     "to the Sol metro station. There is a public car park on Calle Arenal, two minutes away."
     "\n\nEmergencies: call us during opening hours and we will see you the same day."),
    ("Teeth whitening",
     "In-office whitening takes about 90 minutes and costs 350 EUR; take-home trays cost "
     "90 EUR. Whitening is safe for most patients; people with sensitive teeth get a "
     "desensitising gel first. Results last one to three years."),
    ("Invisalign clear aligners",
     "Invisalign treatment usually takes 6 to 18 months and costs from 3,200 EUR, retainers "
     "included for 250 EUR. Patients can pay in 12 monthly instalments without interest. "
     "A free consultation with a 3D scan shows the expected result."),
    ("Dental implants",
     "A single implant needs three to four visits over three months: consultation with a "
     "CT scan (90 EUR), placement of the implant and abutment (1,200 EUR) and, after "
     "healing, a porcelain crown (650 EUR)."),
    ("Payments and refunds",
     "We accept cash, card, bank transfer and online payment links. Refunds go back to the "
     "original payment method within 5 to 10 working days. Financing is available for "
     "treatments over 1,000 EUR."),
]

ASSISTANT = {
    "assistant_name": "Sonia",
    "persona": "You are Sonia, the friendly front-desk assistant of Bright Smile Clinic, a "
               "dental clinic in Madrid.",
    "rules": ["Never give a diagnosis; offer an appointment instead.",
              "Quote prices only from the clinic's knowledge base.",
              "Hand over to a person for emergencies, complaints and billing questions."],
    "handoff_keywords": ["complaint", "lawyer"],
}

# name: (required skills, strategy, target answer s, target %, max hold s, default for)
QUEUES: dict[str, tuple[dict[str, int], str, int, int, int, list[str]]] = {
    "Front desk": ({"front_desk": 1}, "longest_idle", 30, 80, 900,
                   ["conversation_handoff", "lead_follow_up"]),
    "Treatment advice": ({"treatments": 1}, "longest_idle", 60, 80, 1200, []),
    "Billing": ({"billing": 1}, "round_robin", 60, 90, 1800, []),
    "Spanish line": ({"spanish": 1}, "priority", 20, 90, 120, []),
}
ESCALATIONS = {"Spanish line": "Front desk"}

# name: (skills, capacity)
AGENTS: dict[str, tuple[dict[str, int], dict[str, int]]] = {
    "Maria Lopez": ({"front_desk": 3, "billing": 2}, {"voice": 1, "webchat": 2, "sms": 2,
                                                       "whatsapp": 2, "email": 3}),
    "Javier Ortega": ({"front_desk": 2, "treatments": 3}, {"voice": 1, "webchat": 2,
                                                            "whatsapp": 2}),
    "Carmen Diaz": ({"treatments": 2, "billing": 3}, {"voice": 1, "email": 3, "sms": 2}),
    "Pedro Navas": ({"front_desk": 1, "treatments": 1}, {"voice": 1, "webchat": 2,
                                                          "email": 2, "sms": 2}),
}
# queue: (weight, dispositions to pick from)
CALL_MIX: dict[str, tuple[int, list[str]]] = {
    "Front desk": (45, ["APPOINTMENT_BOOKED", "INFO_PROVIDED", "CALLBACK_REQUESTED",
                        "RESOLVED", "WRONG_NUMBER"]),
    "Treatment advice": (35, ["QUOTE_SENT", "APPOINTMENT_BOOKED", "SALE", "NOT_INTERESTED",
                              "TREATMENT_PLAN_EXPLAINED"]),
    "Billing": (20, ["RESOLVED", "INFO_PROVIDED", "COMPLAINT"]),
}
TENANT_DISPOSITIONS = [("TREATMENT_PLAN_EXPLAINED", "Treatment plan explained",
                        "The patient went through the plan and its costs with an advisor")]
SCRIPTS: dict[str, list[str]] = {
    "Treatment advice": ["Greet the patient by name", "Ask which treatment they consider",
                         "Explain duration and price from the knowledge base",
                         "Offer a free consultation"],
}
