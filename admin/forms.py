"""Forms shared by the admin's pages and the JSON API.

The API flattens its JSON into the same field names the HTML form posts
(``client-name``, ``lines-0-unit_price``, ``payment-bank-iban``), so one set
of rules checks both and they cannot drift apart.
"""

import datetime as dt
import re
import unicodedata
import urllib.parse
from decimal import Decimal, InvalidOperation

from email_validator import EmailNotValidError, validate_email
from flask_wtf import FlaskForm
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    Form,
    FormField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from admin import money
from admin.i18n import LANGUAGES

MAX_LINES = 100
MAX_QUANTITY = Decimal("1000000")
MAX_UNIT_PRICE = Decimal("1000000000")
PLAIN_DECIMAL = re.compile(r"^-?[0-9]{1,15}(\.[0-9]{1,12})?$")
CRYPTO_ADDRESS = {
    "bitcoin": re.compile(
        r"^(bc1[02-9ac-hj-np-z]{11,71}|[13][1-9A-HJ-NP-Za-km-z]{25,34})$"
    ),
    "ethereum": re.compile(r"^0x[0-9a-fA-F]{40}$"),
}
LANGUAGE_CHOICES = [SelectChoice(code, name) for code, name in LANGUAGES.items()]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class DecimalText(StringField):
    """A decimal typed as plain digits: no NaN, no Infinity, no exponent."""

    def __init__(
        self,
        label=None,
        validators=None,
        *,
        places=None,
        maximum=None,
        minimum=Decimal(0),
        **kwargs,
    ):
        super().__init__(label, validators, filters=[_strip], **kwargs)
        self.places = places
        self.maximum = maximum
        self.minimum = minimum
        self.decimal: Decimal | None = None

    def pre_validate(self, form):
        self.decimal = None
        if not self.data:
            return
        if not PLAIN_DECIMAL.match(self.data):
            raise ValidationError(
                "Enter a number with digits and a dot, such as 12.50."
            )
        try:
            value = Decimal(self.data)
        except InvalidOperation as exc:
            raise ValidationError("Enter a number such as 12.50.") from exc
        if value < self.minimum:
            raise ValidationError(f"Must be at least {self.minimum}.")
        if self.maximum is not None and value > self.maximum:
            raise ValidationError(f"Must be at most {self.maximum:,}.")
        if self.places is not None and -value.as_tuple().exponent > self.places:
            raise ValidationError(f"Use at most {self.places} decimals.")
        self.decimal = value


def valid_email(form, field):
    """Check an address the way a mail server will see it."""
    if not field.data:
        return
    if any(ch in field.data for ch in "\r\n\x00"):
        raise ValidationError("An email address cannot contain a line break.")
    try:
        result = validate_email(field.data, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(f"Not a valid email address: {exc}") from exc
    field.data = result.normalized


def no_line_breaks(form, field):
    if field.data and any(ch in field.data for ch in "\r\n\x00"):
        raise ValidationError("Must be a single line.")


def no_nul(form, field):
    if field.data and "\x00" in field.data:
        raise ValidationError("Cannot contain a NUL character.")


def sane_date(form, field):
    """Keep dates to this century: a typo should not make year 1 or 9999."""
    if field.data and not dt.date(2000, 1, 1) <= field.data <= dt.date(2099, 12, 31):
        raise ValidationError("Use a date between 2000 and 2099.")


def http_url(form, field):
    """Accept only an absolute http or https link."""
    if not field.data:
        return
    parsed = urllib.parse.urlsplit(field.data)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValidationError("Use a link that starts with https:// or http://.")
    if any(
        ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") for ch in field.data
    ):
        raise ValidationError("A link cannot contain spaces or invisible characters.")


def currency_code(form, field):
    field.data = (field.data or "").strip().upper()
    if not money.is_currency(field.data):
        raise ValidationError(
            f"{field.data!r} is not an ISO 4217 currency code such as EUR."
        )


class ClientForm(Form):
    name = StringField(
        "Client name",
        [DataRequired("Enter the client's name."), Length(max=200), no_line_breaks],
        filters=[_strip],
    )
    email = EmailField(
        "Client email", [Optional(), Length(max=254), valid_email], filters=[_strip]
    )
    language = SelectField("Client language", choices=LANGUAGE_CHOICES, default="en")
    address = TextAreaField(
        "Client address", [Length(max=1000), no_nul], filters=[_strip]
    )


class BankForm(Form):
    beneficiary = StringField(
        "Beneficiary", [Length(max=70), no_line_breaks], filters=[_strip]
    )
    iban = StringField("IBAN", [Length(max=50)], filters=[_strip])
    bic = StringField("BIC", [Length(max=11)], filters=[_strip])

    def validate_iban(self, field):
        if not field.data:
            return
        try:
            field.data = IBAN(field.data, validate_bban=True).compact
        except SchwiftyException as exc:
            raise ValidationError(f"Not a valid IBAN: {exc}.") from exc

    def validate_bic(self, field):
        if not field.data:
            return
        try:
            field.data = str(BIC(field.data.replace(" ", "")))
        except SchwiftyException as exc:
            raise ValidationError(f"Not a valid BIC: {exc}.") from exc

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if ok and self.iban.data and not self.beneficiary.data:
            self.beneficiary.errors.append("Enter who the bank account belongs to.")
            ok = False
        if ok and (self.beneficiary.data or self.bic.data) and not self.iban.data:
            self.iban.errors.append("Enter the IBAN for a bank transfer.")
            ok = False

        return ok


class CryptoForm(Form):
    network = SelectField(
        "Network",
        choices=[
            SelectChoice("", "—"),
            SelectChoice("bitcoin", "Bitcoin"),
            SelectChoice("ethereum", "Ethereum"),
        ],
        default="",
    )
    address = StringField("Address", [Length(max=128)], filters=[_strip])

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        if not ok:
            return False
        if self.address.data and not self.network.data:
            self.network.errors.append("Choose the network of the address.")
            return False
        if self.network.data:
            pattern = CRYPTO_ADDRESS[self.network.data]
            if not self.address.data:
                self.address.errors.append("Enter the address to be paid to.")
                return False
            if not pattern.match(self.address.data):
                self.address.errors.append(f"Not a valid {self.network.data} address.")
                return False

        return True


class PaymentForm(Form):
    link = StringField("Payment link", [Length(max=2000), http_url], filters=[_strip])
    bank = FormField(BankForm)
    crypto = FormField(CryptoForm)


class LineForm(Form):
    description = StringField(
        "Description", [Length(max=500), no_line_breaks], filters=[_strip]
    )
    quantity = DecimalText("Quantity", places=3, maximum=MAX_QUANTITY)
    unit_price = DecimalText("Unit price", maximum=MAX_UNIT_PRICE)
    discount_percent = DecimalText("Discount %", places=2, maximum=Decimal(100))
    tax_percent = DecimalText("Tax %", places=2, maximum=Decimal(100))

    @property
    def is_blank(self) -> bool:
        return not any(field.data for field in self if field.type != "CSRFTokenField")

    def validate(self, extra_validators=None):
        if self.is_blank:
            return True
        ok = super().validate(extra_validators)
        if not self.description.data:
            self.description.errors.append("Describe what is billed.")
            ok = False
        for field in (self.quantity, self.unit_price):
            if not field.data:
                field.errors.append("Enter a number.")
                ok = False
        if self.quantity.decimal is not None and self.quantity.decimal == 0:
            self.quantity.errors.append("Must be more than 0.")
            ok = False

        return ok


class InvoiceForm(FlaskForm):
    client = FormField(ClientForm)
    currency = StringField("Currency", [currency_code], default="EUR")
    issue_date = DateField(
        "Issue date", [InputRequired("Enter the issue date."), sane_date]
    )
    due_date = DateField("Due date", [InputRequired("Enter the due date."), sane_date])
    lines = FieldList(FormField(LineForm), min_entries=1, max_entries=MAX_LINES)
    notes = TextAreaField("Notes (Markdown)", [Length(max=10000), no_nul])
    email_client = BooleanField("Email the link to the client", default=True)
    payment = FormField(PaymentForm)

    def process(self, formdata=None, obj=None, data=None, extra_filters=None, **kwargs):
        # FieldList drops entries past max_entries without a word: count them.
        posted = self.meta.wrap_formdata(self, formdata) or ()
        self.lines_posted = len(
            {key.split("-")[1] for key in posted if key.startswith("lines-")}
        )
        super().process(formdata, obj, data, extra_filters, **kwargs)

    def filled_lines(self) -> list[LineForm]:
        return [entry.form for entry in self.lines if not entry.form.is_blank]

    def validate(self, extra_validators=None):
        ok = super().validate(extra_validators)
        issued, due = self.issue_date.data, self.due_date.data
        if issued and due and due < issued:
            self.due_date.errors.append("The due date is before the issue date.")
            ok = False
        if self.lines_posted > MAX_LINES:
            self.lines.errors = [f"An invoice has at most {MAX_LINES} lines."]
            return False
        if not self.filled_lines():
            self.lines.errors.append("Add at least one line.")
            ok = False
        if not self.currency.errors:
            places = money.exponent(self.currency.data)
            for line in self.filled_lines():
                price = line.unit_price.decimal
                if price is not None and -price.as_tuple().exponent > places:
                    line.unit_price.errors.append(
                        f"{self.currency.data} amounts have at most {places} decimals."
                    )
                    ok = False
            if any(entry.errors for entry in self.lines.entries):
                # FieldList gathered its entries' errors before these checks.
                self.lines.errors = [entry.errors for entry in self.lines.entries]

        return ok


class ProfileForm(FlaskForm):
    display_name = StringField(
        "Display name", [Length(max=200), no_line_breaks], filters=[_strip]
    )
    address = TextAreaField("Address", [Length(max=1000), no_nul], filters=[_strip])
    tax_id = StringField("Tax id", [Length(max=64), no_line_breaks], filters=[_strip])
    reply_to = EmailField(
        "Reply-to email", [Optional(), Length(max=254), valid_email], filters=[_strip]
    )
    default_currency = StringField("Default currency", [currency_code], default="EUR")
    default_language = SelectField(
        "Default client language", choices=LANGUAGE_CHOICES, default="en"
    )
    payment = FormField(PaymentForm)


class SignUpForm(FlaskForm):
    email = EmailField(
        "Email",
        [DataRequired("Enter your email."), Length(max=254), valid_email],
        filters=[_strip],
    )
    password = PasswordField(
        "Password",
        [
            DataRequired("Choose a password."),
            Length(min=10, max=256, message="Use between 10 and 256 characters."),
        ],
    )


class PasswordForm(FlaskForm):
    current = PasswordField(
        "Current password", [DataRequired("Enter your current password.")]
    )
    new = PasswordField(
        "New password",
        [
            DataRequired("Choose a new password."),
            Length(min=10, max=256, message="Use between 10 and 256 characters."),
        ],
    )


class SignInForm(FlaskForm):
    email = EmailField("Email", [DataRequired("Enter your email.")], filters=[_strip])
    password = PasswordField("Password", [DataRequired("Enter your password.")])


class PaidForm(FlaskForm):
    paid_on = DateField(
        "Paid on", [InputRequired("Enter the date it was paid."), sane_date]
    )


class TokenForm(FlaskForm):
    name = StringField("Name", [Length(max=100), no_line_breaks], filters=[_strip])


class ActionForm(FlaskForm):
    """A form with nothing but its CSRF token, for action buttons."""


def flatten(data, prefix: str = "") -> dict[str, str]:
    """Flatten nested JSON into the names the HTML forms post."""
    flat: dict[str, str] = {}
    if isinstance(data, dict):
        items = data.items()
    elif isinstance(data, list):
        items = enumerate(data)
    else:
        return {prefix: _scalar(data)}
    for key, value in items:
        name = f"{prefix}-{key}" if prefix else str(key)
        if isinstance(value, dict | list):
            flat.update(flatten(value, name))
        elif value is not None:
            flat[name] = _scalar(value)

    return flat


def _scalar(value) -> str:
    if isinstance(value, bool):
        return "y" if value else ""
    return str(value)


def first_error(errors, prefix: str = "") -> tuple[str, str]:
    """Return the dotted name and message of a form's first error."""
    found = _find_error(errors, prefix)
    return found or (prefix, "Invalid value.")


def _find_error(errors, prefix: str) -> tuple[str, str] | None:
    if isinstance(errors, str):
        return prefix, errors
    if isinstance(errors, dict):
        items = (
            (f"{prefix}.{key}" if prefix else str(key), value)
            for key, value in errors.items()
        )
    elif isinstance(errors, list | tuple):
        if any(isinstance(item, str) for item in errors):
            return prefix, next(item for item in errors if isinstance(item, str))
        items = ((f"{prefix}.{index}", item) for index, item in enumerate(errors))
    else:
        return None
    for name, value in items:
        found = _find_error(value, name)
        if found:
            return found

    return None
