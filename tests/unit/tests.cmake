# One line per unit test file: wedge_unit_test(<file stem> <libraries>)
wedge_unit_test(util_test wedge_util)
