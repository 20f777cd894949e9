"""Customers in and out of the pool, made through the services, for the pool tests."""
from zhuli.customers.services import customer_create


def in_pool(org, name="公海客户有限公司", pool=None):
    return customer_create(actor=org.actor("boss"), data={"kind": "enterprise", "name": name, "to_pool": True},
                           pool=pool).customer


def owned(org, key, name):
    return customer_create(actor=org.actor(key), data={"kind": "enterprise", "name": name}).customer
