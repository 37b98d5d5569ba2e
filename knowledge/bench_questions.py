"""Questions as readers ask them, for the bench's hybrid searches: the cost of a hybrid search is
mostly the model's, and that grows with the question's length in word pieces, so the bench
embeds real questions (7 to 14 words of news questions, Arabic mostly, as the library is) rather
than its synthetic queries of random letters."""

from __future__ import annotations

__all__ = ["QUESTIONS", "with_library_words"]

QUESTIONS = (
    "ما هي الدول التي شاركت في اجتماع وزراء الخارجية العرب في القاهرة؟",
    "كم بلغ عدد الضحايا في الزلزال الذي ضرب جنوب تركيا وشمال سوريا؟",
    "متى أعلنت الحكومة عن خطة جديدة لدعم الشركات الصغيرة والمتوسطة؟",
    "من هو المدرب الجديد لنادي الهلال بعد رحيل المدرب السابق؟",
    "لماذا ارتفعت أسعار النفط في الأسواق العالمية خلال الأسبوع الماضي؟",
    "ما هي نتيجة المباراة النهائية في بطولة كأس الملك هذا الموسم؟",
    "أين ستقام القمة العربية المقبلة وما هي أبرز الملفات المطروحة فيها؟",
    "كيف ردت الأمم المتحدة على تقرير انتهاكات حقوق الإنسان في المنطقة؟",
    "ما هو موقف البنك المركزي من رفع أسعار الفائدة هذا العام؟",
    "كم عدد الحجاج الذين وصلوا إلى مكة المكرمة حتى الآن؟",
    "ما الأسباب التي أدت إلى تأجيل الانتخابات البرلمانية في البلاد؟",
    "من فاز بجائزة أفضل لاعب في الدوري السعودي للمحترفين هذا العام؟",
    "ما هي الإجراءات الجديدة التي أعلنتها وزارة الصحة لمواجهة انتشار الفيروس؟",
    "متى يبدأ تطبيق نظام التأشيرة السياحية الإلكترونية للزوار الأجانب؟",
    "كم تبلغ قيمة الصفقة التي وقعتها الشركة مع الحكومة لبناء محطة الكهرباء؟",
    "ما هي المدن التي تأثرت بالأمطار الغزيرة والسيول يوم الثلاثاء؟",
    "لماذا قررت المحكمة الإفراج عن المتهمين في قضية الفساد الكبرى؟",
    "ما الذي قاله وزير الطاقة عن إنتاج المملكة من النفط الخام؟",
    "كيف ستؤثر الاتفاقية التجارية الجديدة على صادرات البلدين إلى أوروبا؟",
    "من يتولى رئاسة الوفد المفاوض في محادثات وقف إطلاق النار في غزة؟",
    "How many people were killed in the earthquake that struck southern Turkey?",
    "Who was appointed as the new head coach of the national football team?",
    "Why did oil prices rise on global markets last week?",
    "When will the new electronic tourist visa system come into force?",
    "What did the central bank say about raising interest rates this year?",
)


def with_library_words(question: str, query: str, words: int = 1) -> str:
    """``question`` with its last ``words`` words replaced by the first of ``query``'s (words the
    bench's library holds): as long as the question, and BM25 finds candidates for it as for a
    real question on a real library (the synthetic library holds no real word). One word: a
    synthetic word of random letters cuts into several word pieces (median 23 pieces with one,
    26 with two, 20 for these questions alone, 21 for XQuAD's Arabic questions)."""
    kept = question.rstrip("؟?").split()
    return " ".join(kept[: max(len(kept) - words, 1)] + query.split()[:words]) + "؟"
