/* Chinese identifiers: 统一社会信用代码 (GB 32100), 居民身份证号 (GB 11643), mobile numbers, and
 * their masked forms for lists. */
#ifndef JG_IDCHECK_H
#define JG_IDCHECK_H

/* Return 1 if code is an 18-character unified social credit code whose check character
 * (GB 32100-2015, weights 3^i mod 31 over the 31-character alphabet without I O S V Z) is right. */
int jg_idcheck_credit_code(const char *code);
/* Return 1 if id is an 18-character resident ID number (GB 11643-1999): 17 digits with a valid
 * birth date, then the ISO 7064 MOD 11-2 check character (0-9 or X). */
int jg_idcheck_resident_id(const char *id);
/* The GB 32100 check character for the first 17 characters of s, or '\0' if s is shorter or one
 * of them is not in the alphabet. Used to make codes (demo data). Cannot fail otherwise. */
char jg_idcheck_credit_check(const char *s);
/* The GB 11643 check character ('0'-'9' or 'X') for the first 17 characters of s, or '\0' if s is
 * shorter or one of them is not a digit. The birth date is not looked at. Cannot fail otherwise. */
char jg_idcheck_resident_check(const char *s);
/* Write the masked form for lists: the first 4 and last 4 characters kept, the rest '*'
 * (3501**********1234). out needs strlen(s) + 1 bytes; shorter s is masked whole. */
void jg_idcheck_mask(const char *s, char *out);
/* Return 1 if s is a mainland mobile number: 11 digits, 1[3-9] first. NULL is not one. */
int jg_idcheck_phone(const char *s);
/* The masked form of a mobile number, the first 3 and last 4 digits kept (138****0003), into out
 * (12 bytes). s must be a valid number (jg_idcheck_phone). */
void jg_idcheck_mask_phone(const char *s, char out[12]);

#endif
