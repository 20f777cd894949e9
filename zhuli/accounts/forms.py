from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from zhuli.access.roles import Role


def department_tree(departments) -> list:
    """Departments in tree order (parents before their children, siblings by order and name)."""
    children: dict[int | None, list] = {}
    ids = {d.pk for d in departments}
    for dept in departments:
        parent = dept.parent_id if dept.parent_id in ids else None
        children.setdefault(parent, []).append(dept)
    out: list = []

    def walk(parent_id, depth):
        for dept in sorted(children.get(parent_id, []), key=lambda d: (d.order, d.name, d.pk)):
            dept.tree_depth = depth
            out.append(dept)
            walk(dept.pk, depth + 1)

    walk(None, 0)
    return out


def department_choices(tree, *, blank: str | None = None, exclude_path: str | None = None) -> list[tuple]:
    choices = [("", blank)] if blank is not None else []
    for dept in tree:
        if exclude_path and dept.path.startswith(exclude_path):
            continue  # a department cannot move under itself
        choices.append((str(dept.pk), "\u3000" * dept.tree_depth + dept.name))
    return choices


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), strip=False,
                                   widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    new_password = forms.CharField(label=_("新密码"), strip=False, help_text=_("至少 8 位，不能全是数字，不能太常见"),
                                   widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("确认新密码"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password2") and data["new_password"] != data["new_password2"]:
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class TokenForm(forms.Form):
    name = forms.CharField(label=_("令牌名称"), max_length=60, required=False,
                           widget=forms.TextInput(attrs={"placeholder": _("例如：ERP 同步")}))


class UserForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    email = forms.EmailField(label=_("邮箱"), required=False, max_length=254)
    mobile = forms.CharField(label=_("手机"), required=False, max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "tel"}))
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices, initial=Role.SALES)
    department = forms.ChoiceField(label=_("部门"), required=False)
    is_admin = forms.BooleanField(label=_("公司管理员（可修改设置、用户和部门）"), required=False)
    password = forms.CharField(label=_("初始密码"), strip=False, help_text=_("至少 8 位，不能全是数字；请告知本人登录后修改"),
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}, render_value=True))

    def __init__(self, *args, departments=(), creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].choices = department_choices(department_tree(list(departments)),
                                                               blank=_("（不属于任何部门）"))
        if not creating:
            del self.fields["password"]
        self.fields["email"].help_text = _("邮箱和手机至少填写一个，用于登录")

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        dept = data.pop("department", "")
        data["department_id"] = int(dept) if dept else None
        return data


class TransferForm(forms.Form):
    from_user = forms.ChoiceField(label=_("转出人"))
    to_user = forms.ChoiceField(label=_("接收人"))

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        users = list(users)
        self.fields["from_user"].choices = [("", "——")] + [(str(u.pk), u.display_name) for u in users]
        self.fields["to_user"].choices = [("", "——")] + [(str(u.pk), u.name) for u in users if u.is_active]

    def clean(self):
        data = super().clean()
        if data.get("from_user") and data.get("from_user") == data.get("to_user"):
            self.add_error("to_user", _("转出人和接收人不能相同"))
        return data


class DepartmentForm(forms.Form):
    name = forms.CharField(label=_("部门名称"), max_length=60)
    parent = forms.ChoiceField(label=_("上级部门"), required=False)

    def __init__(self, *args, departments=(), department=None, **kwargs):
        super().__init__(*args, **kwargs)
        tree = department_tree(list(departments))
        self.fields["parent"].choices = department_choices(
            tree, blank=_("（顶级部门）"), exclude_path=department.path if department is not None else None)

    def parent_id(self) -> int | None:
        value = self.cleaned_data.get("parent")
        return int(value) if value else None
