/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A static program that does nothing: the cost of one exec, for the floor (bench/floor.c). */
int
main(void)
{
	return 0;
}
