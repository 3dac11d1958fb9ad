"""The resident self-service portal: accounts, my coverage and payments, the calculator, applications.

Views are thin: they read through selectors and write through services, and every query is limited
to the persons the signed-in resident may act for (`access.persons_of`).
"""
