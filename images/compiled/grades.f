C     GRADES: reads the named dataset SCORES (a name and three marks a
C     line), writes the named dataset REPORT (each student's total,
C     grade and a bar of stars) and the named dataset BYMARK (the
C     students ordered by total), reads BYMARK back to check it, and
C     prints a summary on standard output.
C
C     What it exercises on COS: OPEN of datasets by name, formatted
C     READ with END=, WRITE, CLOSE and a second OPEN of a dataset the
C     program wrote, CHARACTER and INTEGER arrays, and integer
C     arithmetic (no floating point: kftc's F format truncates where
C     the host rounds).
      PROGRAM GRADES
      INTEGER MAXST
      PARAMETER (MAXST = 50)
      CHARACTER*12 NAME(MAXST), RNAME
      CHARACTER*1 GRADE
      CHARACTER*40 BAR
      INTEGER MARK(3), TOTAL(MAXST), ORDER(MAXST)
      INTEGER N, I, J, K, BEST, SUM, RTOTAL, NREAD, NSTARS
      OPEN (UNIT=10, FILE='SCORES', STATUS='OLD')
      OPEN (UNIT=11, FILE='REPORT', STATUS='NEW')
      N = 0
      SUM = 0
   10 READ (10, 100, END=20) RNAME, MARK
      N = N + 1
      NAME(N) = RNAME
      TOTAL(N) = MARK(1) + MARK(2) + MARK(3)
      SUM = SUM + TOTAL(N)
      NSTARS = TOTAL(N) / 10
      BAR = ' '
      DO 15 I = 1, NSTARS
         BAR(I:I) = '*'
   15 CONTINUE
      WRITE (11, 110) NAME(N), MARK, TOTAL(N), GRADE(TOTAL(N)),
     &                BAR(1:NSTARS)
      IF (N .LT. MAXST) GO TO 10
   20 CLOSE (10)
      CLOSE (11)
C     Order the students by total, best first (insertion sort; equal
C     totals keep the order of SCORES).
      DO 30 I = 1, N
         ORDER(I) = I
   30 CONTINUE
      DO 40 I = 2, N
         K = ORDER(I)
         J = I - 1
   35    IF (J .GE. 1) THEN
            IF (TOTAL(ORDER(J)) .LT. TOTAL(K)) THEN
               ORDER(J + 1) = ORDER(J)
               J = J - 1
               GO TO 35
            END IF
         END IF
         ORDER(J + 1) = K
   40 CONTINUE
      OPEN (UNIT=12, FILE='BYMARK', STATUS='NEW')
      DO 50 I = 1, N
         WRITE (12, 120) I, NAME(ORDER(I)), TOTAL(ORDER(I))
   50 CONTINUE
      CLOSE (12)
C     Read BYMARK back: every total must come out as it went in.
      OPEN (UNIT=12, FILE='BYMARK', STATUS='OLD')
      NREAD = 0
   60 READ (12, 120, END=70) J, RNAME, RTOTAL
      NREAD = NREAD + 1
      IF (RNAME .NE. NAME(ORDER(J)) .OR. RTOTAL .NE. TOTAL(ORDER(J)))
     &   WRITE (6, 130) J
      GO TO 60
   70 CLOSE (12)
      BEST = ORDER(1)
      WRITE (6, 140) N, NREAD
      WRITE (6, 150) SUM / N, MOD(SUM, N), N
      WRITE (6, 160) NAME(BEST), TOTAL(BEST)
  100 FORMAT (A12, 3I4)
  110 FORMAT (A12, 3I4, I5, 2X, A1, 2X, A)
  120 FORMAT (I3, 2X, A12, I5)
  130 FORMAT (1X, 'BYMARK line', I3, ' reads back differently')
  140 FORMAT (1X, 'GRADES:', I3, ' students, BYMARK read back:', I3)
  150 FORMAT (1X, 'class average', I4, ' and', I3, '/', I2)
  160 FORMAT (1X, 'best: ', A12, I4)
      END
C
C     The letter grade of a total out of 300.
      CHARACTER*1 FUNCTION GRADE(TOTAL)
      INTEGER TOTAL
      IF (TOTAL .GE. 270) THEN
         GRADE = 'A'
      ELSE IF (TOTAL .GE. 240) THEN
         GRADE = 'B'
      ELSE IF (TOTAL .GE. 210) THEN
         GRADE = 'C'
      ELSE IF (TOTAL .GE. 180) THEN
         GRADE = 'D'
      ELSE
         GRADE = 'F'
      END IF
      END
