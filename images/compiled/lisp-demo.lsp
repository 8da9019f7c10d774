(PUT 'FACT 'FNCELL
  '(LAMBDA (N) (COND ((ZEROP N) 1) (T (TIMES N (FACT (SUB1 N)))))))
(FACT 10)
(PUT 'FIB 'FNCELL
  '(LAMBDA (N) (COND ((LESSP N 2) N)
                     (T (PLUS (FIB (SUB1 N)) (FIB (DIFFERENCE N 2)))))))
(FIB 15)
(PUT 'FLATTEN 'FNCELL
  '(LAMBDA (X) (COND ((NULL X) NIL)
                     ((ATOM X) (LIST X))
                     (T (APPEND (FLATTEN (CAR X)) (FLATTEN (CDR X)))))))
(FLATTEN '(A (B (C D)) ((E)) F))
(PUT 'DERIV 'FNCELL
  '(LAMBDA (E X)
     (COND ((ATOM E) (COND ((EQ E X) 1) (T 0)))
           ((EQ (CAR E) 'PLUS)
            (LIST 'PLUS (DERIV (CADR E) X) (DERIV (CADDR E) X)))
           ((EQ (CAR E) 'TIMES)
            (LIST 'PLUS
                  (LIST 'TIMES (CADR E) (DERIV (CADDR E) X))
                  (LIST 'TIMES (DERIV (CADR E) X) (CADDR E))))
           (T (LIST 'DERIV E X)))))
(DERIV '(PLUS (TIMES X X) (TIMES 3 X)) 'X)
(PUT 'SIEVE 'FNCELL
  '(LAMBDA (N L) (COND ((NULL L) NIL)
                       (T (CONS (CAR L)
                                (SIEVE N (REMOVEM (CAR L) (CDR L))))))))
(PUT 'REMOVEM 'FNCELL
  '(LAMBDA (P L) (COND ((NULL L) NIL)
                       ((EQUAL (TIMES P (QUOTIENT (CAR L) P)) (CAR L))
                        (REMOVEM P (CDR L)))
                       (T (CONS (CAR L) (REMOVEM P (CDR L)))))))
(PUT 'UPTO 'FNCELL
  '(LAMBDA (A B) (COND ((GREATERP A B) NIL)
                       (T (CONS A (UPTO (ADD1 A) B))))))
(SIEVE 60 (UPTO 2 60))
(LENGTH (SIEVE 60 (UPTO 2 60)))
(REVERSE '(ONE TWO THREE))
(EXIT)
