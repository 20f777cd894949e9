"""Password validators whose messages Django's own catalog misses."""
from django.contrib.auth.password_validation import MinimumLengthValidator as DjangoMinimumLengthValidator
from django.utils.translation import ngettext


class MinimumLengthValidator(DjangoMinimumLengthValidator):
    """Django 5.2 changed the too-short msgid to `%d` while its zh_Hans catalog still holds the `%(min_length)d`
    one, so the message came out in English; this one carries its own text."""

    def get_error_message(self):
        return ngettext("密码太短，至少需要 %(min_length)d 个字符", "密码太短，至少需要 %(min_length)d 个字符",
                        self.min_length) % {"min_length": self.min_length}
