"""Built-in column mappings for common CRM exports: HubSpot contacts, Salesforce reports.

Each names both the export's column labels and the CRM's internal property names, so an
export from the UI and one from the API read the same way.
"""

from __future__ import annotations

from funnelkit.crm.fields import ID
from funnelkit.crm.mapping import ISO_FORMATS, Mapping

HUBSPOT_CONTACTS = Mapping(
    name="hubspot",
    given=frozenset(),  # a preset's columns are optional (but for those it requires)
    stages=("lead", "mql", "sql", "opportunity", "won"),
    columns={
        ID: ("Record ID", "Contact ID", "hs_object_id", "vid"),
        "source": ("Original Source", "hs_analytics_source"),
        "owner": ("Contact owner", "hubspot_owner_id"),
        "status": ("Lead Status", "hs_lead_status"),
        "stage": ("Lifecycle Stage", "lifecyclestage"),
        "assigned_at": ("Owner assigned date", "hubspot_owner_assigneddate"),
        "first_touch_at": ("Date of first engagement", "hs_sa_first_engagement_date"),
        "response_time": ("Lead response time", "hs_time_to_first_engagement"),
        "touches": ("Number of Sales Activities", "num_notes"),
        "amount": ("Recent Deal Amount", "recent_deal_amount"),
        "close_date": ("Recent Deal Close Date", "recent_deal_close_date"),
        "outcome": ("Lead Status", "hs_lead_status"),
    },
    stage_columns={
        "lead": ("Create Date", "createdate"),
        "mql": (
            "Became a Marketing Qualified Lead Date",
            "hs_lifecyclestage_marketingqualifiedlead_date",
        ),
        "sql": ("Became a Sales Qualified Lead Date", "hs_lifecyclestage_salesqualifiedlead_date"),
        "opportunity": ("Became an Opportunity Date", "hs_lifecyclestage_opportunity_date"),
        "won": ("Became a Customer Date", "hs_lifecyclestage_customer_date"),
    },
    values={
        "stage": {
            "Subscriber": "lead",
            "subscriber": "lead",
            "Lead": "lead",
            "lead": "lead",
            "Marketing Qualified Lead": "mql",
            "marketingqualifiedlead": "mql",
            "Sales Qualified Lead": "sql",
            "salesqualifiedlead": "sql",
            "Opportunity": "opportunity",
            "opportunity": "opportunity",
            "Customer": "won",
            "customer": "won",
            "Evangelist": "won",
            "evangelist": "won",
            "Other": None,
            "other": None,
        },
        "outcome": {
            "New": "open",
            "NEW": "open",
            "Open": "open",
            "OPEN": "open",
            "In Progress": "open",
            "IN_PROGRESS": "open",
            "Open Deal": "open",
            "OPEN_DEAL": "open",
            "Attempted to Contact": "open",
            "ATTEMPTED_TO_CONTACT": "open",
            "Connected": "open",
            "CONNECTED": "open",
            "Bad Timing": "open",
            "BAD_TIMING": "open",
            "Unqualified": "lost",
            "UNQUALIFIED": "lost",
        },
    },
    marketing_sources=(
        "Organic Search",
        "Paid Search",
        "Email Marketing",
        "Organic Social",
        "Paid Social",
        "Social Media",
        "Referrals",
        "Direct Traffic",
        "Other Campaigns",
        "ORGANIC_SEARCH",
        "PAID_SEARCH",
        "EMAIL_MARKETING",
        "SOCIAL_MEDIA",
        "PAID_SOCIAL",
        "REFERRALS",
        "DIRECT_TRAFFIC",
        "OTHER_CAMPAIGNS",
    ),
    required=(ID, "lead_at"),
    response_time_unit="ms",
)

SALESFORCE_DATE_FORMATS = ("%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%m/%d/%Y", *ISO_FORMATS)

# Salesforce's standard Lead Source values that marketing programs bring in; the rest
# (Phone Inquiry, Partner Referral, Employee Referral, External Referral, Word of mouth, Other)
# are counted as sales-sourced
SALESFORCE_MARKETING_SOURCES = (
    "Web",
    "Advertisement",
    "Public Relations",
    "Seminar - Internal",
    "Seminar - Partner",
    "Trade Show",
    "Webinar",
    "Purchased List",
)

SALESFORCE_LEADS = Mapping(
    name="salesforce-leads",
    given=frozenset(),  # a preset's columns are optional (but for those it requires)
    stages=("lead", "converted"),
    columns={
        ID: ("Lead ID", "Id"),
        "source": ("Lead Source", "LeadSource"),
        "owner": ("Lead Owner", "Owner Name", "OwnerId"),
        "status": ("Lead Status", "Status"),
        "outcome": ("Lead Status", "Status"),
    },
    stage_columns={
        "lead": ("Created Date", "CreatedDate"),
        "converted": ("Converted Date", "ConvertedDate"),
    },
    values={
        "outcome": {
            "Open - Not Contacted": "open",
            "Working - Contacted": "open",
            "Closed - Converted": "won",
            "Closed - Not Converted": "lost",
        },
    },
    date_formats=SALESFORCE_DATE_FORMATS,
    marketing_sources=SALESFORCE_MARKETING_SOURCES,
    required=(ID, "lead_at"),
)

SALESFORCE_OPPORTUNITIES = Mapping(
    name="salesforce-opportunities",
    given=frozenset(),  # a preset's columns are optional (but for those it requires)
    stages=("prospecting", "qualification", "proposal", "negotiation", "won"),
    columns={
        ID: ("Opportunity ID", "Id"),
        "source": ("Lead Source", "LeadSource"),
        "account_owner": ("Opportunity Owner", "Owner Name", "OwnerId"),
        "amount": ("Amount",),
        "close_date": ("Close Date", "CloseDate"),
        "stage": ("Stage", "StageName"),
        "outcome": ("Stage", "StageName"),
    },
    stage_columns={"prospecting": ("Created Date", "CreatedDate")},
    values={
        "stage": {
            "Prospecting": "prospecting",
            "Qualification": "qualification",
            "Needs Analysis": "qualification",
            "Value Proposition": "proposal",
            "Id. Decision Makers": "proposal",
            "Perception Analysis": "proposal",
            "Proposal/Price Quote": "proposal",
            "Negotiation/Review": "negotiation",
            "Closed Won": "won",
            "Closed Lost": None,
        },
        "outcome": {
            "Prospecting": "open",
            "Qualification": "open",
            "Needs Analysis": "open",
            "Value Proposition": "open",
            "Id. Decision Makers": "open",
            "Perception Analysis": "open",
            "Proposal/Price Quote": "open",
            "Negotiation/Review": "open",
            "Closed Won": "won",
            "Closed Lost": "lost",
        },
    },
    date_formats=SALESFORCE_DATE_FORMATS,
    marketing_sources=SALESFORCE_MARKETING_SOURCES,
)

PRESETS: dict[str, Mapping] = {
    m.name: m for m in (HUBSPOT_CONTACTS, SALESFORCE_LEADS, SALESFORCE_OPPORTUNITIES)
}
